extension ReviewTemplates {
    /// The queue: counts per region, kind and field (each a link that filters), the filters as a
    /// GET form, and the table inside the bulk-decision POST form (no nested forms).
    /// One count of the queue's overview, a link that filters by it.
    static let countLink = #"""
        <li{{#active}} class="active"{{/active}}><a href="{{href}}">{{label}} <small class="muted">{{code}}</small></a><span>{{count}}</span></li>
        """#

    static let queue = #"""
        {{<layout}}
        {{$content}}
        <h1>{{heading}} <small>review queue</small></h1>
        <section class="summary" aria-label="待审核冲突统计">
          <div class="card total"><div class="n">{{openTotal}}</div><div>待审核冲突</div><div class="muted">open conflicts</div></div>
          <div class="card">
            <h2>按地区 <small>by region</small></h2>
            <ul class="counts">
              {{#regionCounts}}{{>countLink}}{{/regionCounts}}
            </ul>
            {{^regionCounts}}<p class="muted">没有待审核的冲突</p>{{/regionCounts}}
          </div>
          <div class="card">
            <h2>按类型 <small>by kind</small></h2>
            <ul class="counts single">
              {{#kindCounts}}{{>countLink}}{{/kindCounts}}
            </ul>
          </div>
          <div class="card">
            <h2>按字段 <small>by field</small></h2>
            <ul class="counts single">
              {{#fieldCounts}}{{>countLink}}{{/fieldCounts}}
            </ul>
            {{^fieldCounts}}<p class="muted">—</p>{{/fieldCounts}}
          </div>
        </section>

        <form method="get" action="/review" class="filters" aria-label="筛选">
          <label>状态 <small>status</small>
            <select name="status">{{#statusOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statusOptions}}</select>
          </label>
          <label>地区 <small>region</small>
            <select name="region">{{#regionOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/regionOptions}}</select>
          </label>
          <label>字段 <small>field</small>
            <select name="field">{{#fieldOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/fieldOptions}}</select>
          </label>
          <label>类型 <small>kind</small>
            <select name="kind">{{#kindOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kindOptions}}</select>
          </label>
          <label>等待时间 <small>age</small>
            <select name="age">{{#ageOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/ageOptions}}</select>
          </label>
          <button type="submit">筛选</button>
          <a href="/review">清除筛选</a>
        </form>

        <form method="post" action="/review/bulk">
          <input type="hidden" name="csrf" value="{{csrf}}">
          {{#filters}}<input type="hidden" name="{{name}}" value="{{value}}">{{/filters}}
          <div class="pager">
            <span>共 {{total}} 条{{#hasRows}}，显示第 {{shownFrom}}–{{shownTo}} 条{{/hasRows}}</span>
            {{#previousHref}}<a href="{{previousHref}}">← 上一页</a>{{/previousHref}}
            {{#nextHref}}<a href="{{nextHref}}">下一页 →</a>{{/nextHref}}
            {{#canBulk}}<span><a href="{{selectAllHref}}">全选本页</a> · <a href="{{selectNoneHref}}">取消全选</a></span>{{/canBulk}}
          </div>
          {{#hasRows}}
          <table class="queue">
            <thead>
              <tr>
                {{#canBulk}}<th>选择</th>{{/canBulk}}
                <th>编号</th><th>企业 <small>enterprise</small></th><th>地区 <small>region</small></th><th>字段 <small>field</small></th>
                <th>类型 <small>kind</small></th><th>省厅现值 <small>current</small></th><th>区局提交值 <small>incoming</small></th>
                <th>提交方 <small>from</small></th><th>已等待 <small>age</small></th>{{#showDecision}}<th>决定 <small>decision</small></th>{{/showDecision}}
              </tr>
            </thead>
            <tbody>
              {{#rows}}
              <tr>
                {{#canBulk}}<td><input type="checkbox" name="id" value="{{id}}" aria-label="选择冲突 {{id}}"{{#checked}} checked{{/checked}}></td>{{/canBulk}}
                <td><a href="/review/conflicts/{{id}}">#{{id}}</a></td>
                <td>{{enterpriseName}}<br><code>{{uscc}}</code></td>
                <td>{{regionLabel}}</td>
                <td>{{fieldLabel}}<br><code>{{field}}</code></td>
                <td><span class="badge">{{kindLabel}}</span></td>
                <td class="value">{{current}}</td>
                <td class="value">{{incoming}}</td>
                <td>{{sourceLabel}}</td>
                <td title="{{createdAt}}">{{age}}</td>
                {{#showDecision}}<td>{{decisionLabel}}</td>{{/showDecision}}
              </tr>
              {{/rows}}
            </tbody>
          </table>
          {{/hasRows}}
          {{^hasRows}}<p class="empty">没有符合条件的冲突。 <small>no conflicts match</small></p>{{/hasRows}}
          {{#canBulk}}
          <fieldset class="bulk">
            <legend>批量处理所选冲突 <small>bulk decision</small></legend>
            <input type="text" name="note" maxlength="2000" placeholder="备注（随决定保存） note" aria-label="备注 note">
            <button type="submit" name="decision" value="keep-current">保留省厅现值 <small>keep current</small></button>
            <button type="submit" name="decision" value="take-incoming" class="secondary">采用区局提交值 <small>take incoming</small></button>
          </fieldset>
          <p class="hint">批量决定逐条执行：某条已被他人处理或其值已再次变化时，该条不变并在结果中列出，其余照常处理。删除和迁移申请也按同样的含义处理（采用区局提交值＝同意删除／迁移）。</p>
          {{/canBulk}}
        </form>
        {{/content}}
        {{/layout}}
        """#
}
