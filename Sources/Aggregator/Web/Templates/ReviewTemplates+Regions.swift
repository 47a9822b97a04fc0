extension ReviewTemplates {
    /// The bureaus at a glance (issue 4): last push and pull, agent version, conflicts, records.
    static let regions = #"""
        {{<layout}}
        {{$content}}
        <h1>各地区概况 <small>the bureaus at a glance</small></h1>
        <p class="muted">{{staleCount}} 个地区超过 {{staleAfterHours}} 小时没有推送或拉取，标为“滞后”。</p>
        <table>
          <thead>
            <tr>
              <th>地区 <small>region</small></th><th class="num">记录数 <small>records</small></th>
              <th>最近推送 <small>last push</small></th><th>最近拉取 <small>last pull</small></th><th>客户端版本 <small>agent</small></th>
              <th class="num">待审核 <small>open</small></th><th class="num">已决定 <small>decided</small></th><th class="num">暂扣变更集 <small>held</small></th><th>状态</th>
            </tr>
          </thead>
          <tbody>
            {{#rows}}
            <tr{{#stale}} class="stale"{{/stale}}>
              <td>{{name}} <small class="muted">{{code}}</small></td>
              <td class="num">{{records}}</td>
              <td>{{lastPush}} <small class="muted">{{lastPushRecords}}</small></td>
              <td>{{lastPull}} <small class="muted">{{lastPullCursor}}</small></td>
              <td><code>{{agent}}</code></td>
              <td class="num"><a href="{{openHref}}">{{openConflicts}}</a></td>
              <td class="num">{{decidedConflicts}}</td>
              <td class="num">{{heldChangeSets}}</td>
              <td>{{#stale}}<span class="badge stale">滞后 STALE</span>{{/stale}}{{^stale}}<span class="badge resolved">正常</span>{{/stale}}</td>
            </tr>
            {{/rows}}
          </tbody>
        </table>
        <p class="hint">暂扣变更集由 <code>esync-aggregator changesets list|approve|refuse</code> 处理。同样的数据：<code>esync-aggregator regions</code>。</p>
        {{/content}}
        {{/layout}}
        """#
}
