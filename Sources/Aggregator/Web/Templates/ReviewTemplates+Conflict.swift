extension ReviewTemplates {
    /// One conflict: the three values side by side with both provenances, the decision form
    /// (or the decision taken), and the history of the field in that record.
    static let conflict = #"""
        {{<layout}}
        {{$content}}
        <p><a href="/review">← 返回审核队列</a></p>
        <h1>冲突 #{{id}} <span class="badge">{{kindLabel}} {{kind}}</span> <span class="badge {{status}}">{{statusLabel}}</span></h1>
        <dl class="facts">
          <dt>企业 <small>enterprise</small></dt><dd>{{enterpriseName}} <code>{{uscc}}</code></dd>
          <dt>地区 <small>region</small></dt><dd>{{regionLabel}}</dd>
          <dt>字段 <small>field</small></dt><dd>{{fieldLabel}} <code>{{field}}</code></dd>
          <dt>提出时间 <small>raised</small></dt><dd>{{createdAt}}（{{age}}）</dd>
          <dt>记录当前修订 <small>revision</small></dt><dd>{{recordRevision}}</dd>
        </dl>
        {{#origin}}
        <div class="note recovered">省厅登记库曾从备份恢复，丢失了这个值；区局保存的副本将它送回：{{origin}}。“恢复此值”把它写回记录，“保留省厅现值”则不恢复。</div>
        {{/origin}}
        {{#changedSince}}
        <div class="warn">此字段在冲突提出后又被修改，现在的值是 <strong>{{changedSince}}</strong>。“保留现值”和“采用区局提交值”不会覆盖这个更新的值；请查看下方历史后设为新值。</div>
        {{/changedSince}}

        <section class="sides" aria-label="三方对照">
          <div class="side base">
            <h2>区局修改前的值 <small>expected (base)</small></h2>
            <pre>{{expected}}</pre>
            {{#expectedProvenance}}<p class="prov">区局修改时所依据的版本，来源 {{source}}<br>变更集 <code>{{changeSet}}</code><br>{{at}}</p>{{/expectedProvenance}}
            {{^expectedProvenance}}<p class="prov">区局修改时所依据的版本</p>{{/expectedProvenance}}
          </div>
          <div class="side current">
            <h2>省厅现值 <small>current</small></h2>
            <pre>{{current}}</pre>
            {{#currentProvenance}}<p class="prov">来源 {{source}}<br>变更集 <code>{{changeSet}}</code><br>{{at}}</p>{{/currentProvenance}}
            {{^currentProvenance}}<p class="prov">来源不明（历史中无此字段的修改）</p>{{/currentProvenance}}
          </div>
          <div class="side incoming">
            <h2>区局提交值 <small>incoming</small></h2>
            <pre>{{incoming}}</pre>
            {{#incomingProvenance}}<p class="prov">来源 {{source}}<br>变更集 <code>{{changeSet}}</code><br>{{at}}</p>{{/incomingProvenance}}
          </div>
        </section>

        {{#decision}}
        <h2>决定 <small>decision</small></h2>
        <dl class="facts">
          <dt>决定</dt><dd><strong>{{label}}</strong></dd>
          <dt>决定人</dt><dd>{{by}}</dd>
          <dt>时间</dt><dd>{{at}}</dd>
          <dt>生成修订</dt><dd>{{revision}}</dd>
          {{#value}}<dt>新值</dt><dd><pre>{{value}}</pre></dd>{{/value}}
          {{#note}}<dt>备注</dt><dd>{{note}}</dd>{{/note}}
        </dl>
        {{/decision}}

        {{#isOpen}}
        <form method="post" action="/review/conflicts/{{id}}/resolve">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <fieldset>
            <legend>作出决定 <small>decide</small></legend>
            <div class="decide">
              <div>
                <label for="note">备注 <small>note（随决定保存，区局可见）</small></label>
                <textarea id="note" name="note" rows="3" maxlength="2000">{{noteDraft}}</textarea>
                <div class="buttons">
                  <button type="submit" name="decision" value="keep-current">{{keepLabel}} <small>keep current</small></button>
                  <button type="submit" name="decision" value="take-incoming" class="secondary">{{takeLabel}} <small>take incoming</small></button>
                </div>
              </div>
              {{#allowsValue}}
              <div>
                <label for="value">新值 <small>new value（{{valueHint}}）</small></label>
                <textarea id="value" name="value" rows="3">{{valueDefault}}</textarea>
                <div class="buttons">
                  <button type="submit" name="decision" value="value" class="secondary">设为新值 <small>set value</small></button>
                </div>
              </div>
              {{/allowsValue}}
            </div>
          </fieldset>
        </form>
        {{/isOpen}}

        {{#reopenable}}
        <form method="post" action="/review/conflicts/{{id}}/reopen">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <p>这是字段规则自动作出的决定。如需人工审核：<button type="submit" class="secondary">重新打开 <small>reopen</small></button></p>
        </form>
        {{/reopenable}}

        <h2>{{#isWholeRecord}}记录历史{{/isWholeRecord}}{{^isWholeRecord}}字段历史{{/isWholeRecord}} <small>history of <code>{{field}}</code> in {{uscc}}</small></h2>
        <table>
          <thead><tr><th class="num">修订</th><th>时间</th><th>来源</th><th>变更集</th><th>{{#isWholeRecord}}修改的字段{{/isWholeRecord}}{{^isWholeRecord}}值{{/isWholeRecord}}</th></tr></thead>
          <tbody>
            {{#history}}
            <tr{{#afterConflict}} class="after" title="冲突提出之后"{{/afterConflict}}>
              <td class="num">{{revision}}</td><td>{{at}}</td><td>{{source}}</td><td><code>{{changeSet}}</code></td>
              <td class="wide">{{#isWholeRecord}}{{fields}}{{/isWholeRecord}}{{^isWholeRecord}}<pre>{{value}}</pre>{{/isWholeRecord}}</td>
            </tr>
            {{/history}}
          </tbody>
        </table>
        <p class="hint">只列出改变了该字段的修订；底色标出的是冲突提出之后的修订。</p>
        {{/content}}
        {{/layout}}
        """#
}
