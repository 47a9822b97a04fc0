extension ReviewTemplates {
    /// The progress report (issue 7): charts as inline SVG, every table with its CSV download,
    /// and a print stylesheet that drops the navigation and the forms.
    static let report = #"""
        {{<layout}}
        {{$content}}
        <style>
        .report h2 { display: flex; justify-content: space-between; align-items: baseline; }
        .report h2 a.csv { font-size: 13px; font-weight: normal; }
        .report section { margin-bottom: 18px; }
        .report .charts { display: grid; grid-template-columns: 1fr; gap: 8px; }
        .report svg { max-width: 100%; height: auto; }
        .report table { font-size: 13px; }
        .report th small { display: block; font-size: 11px; }
        @media print {
          @page { size: A4 landscape; margin: 12mm; }
          header.top nav, header.top .who, form.filters, a.csv, footer { display: none !important; }
          header.top { background: none; color: #000; padding: 0; }
          main { max-width: none; padding: 0; }
          body { font-size: 11px; }
          .report table { font-size: 10px; }
          .report section { break-inside: avoid; }
          thead th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }
        </style>
        <div class="report">
        <h1>{{year}} 年进度报告 · {{regionName}} <small>progress report against the yearly targets · 生成于 {{generatedAt}}</small></h1>
        <form method="get" action="/review/report" class="filters">
          <label>年份 <small>year</small><input type="text" name="year" value="{{year}}" size="6"></label>
          <label>地区 <small>region</small>
            <select name="region"><option value="">全省</option>{{#regions}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{name}} {{code}}</option>{{/regions}}</select>
          </label>
          <button type="submit">查看</button>
        </form>
        <section id="progress">
          <h2><span>年度目标完成情况 <small>added in {{year}} against the targets</small></span></h2>
          <div class="charts">{{{progressChart}}}</div>
          {{#progress}}{{>reportTable}}{{/progress}}
        </section>
        <section id="regions">
          <h2><span>各地区完成情况 <small>each region against its share of the targets</small></span></h2>
          <div class="charts">{{{regionChart}}}</div>
          {{#regionTable}}{{>reportTable}}{{/regionTable}}
        </section>
        <section id="months">
          <h2><span>逐月新增 <small>added per month</small></span></h2>
          <div class="charts">{{{monthChart}}}</div>
          {{#months}}{{>reportTable}}{{/months}}
        </section>
        <section id="sizes">{{#sizes}}{{>reportTable}}{{/sizes}}</section>
        <section id="measures">{{#measures}}{{>reportTable}}{{/measures}}</section>
        <section id="warnings">
          <p class="muted">共 {{warningTotal}} 条校验提示（营收达 2000 万元未标规上、规模类型与人数营收不符），此处列出前 {{warningShown}} 条，完整清单见 CSV。</p>
          {{#warnings}}{{>reportTable}}{{/warnings}}
        </section>
        <section id="freshness">{{#freshness}}{{>reportTable}}{{/freshness}}</section>
        <p class="hint">同样的数据：<code>esync-aggregator report --year {{year}} [--json|--csv --table …]</code>，<code>GET /v1/report?year={{year}}</code>。“新增”指年内首次获得（复核、撤销后重新认定不重复计）。</p>
        </div>
        {{/content}}
        {{/layout}}
        """#

    static let reportTable = #"""
        <h2><span>{{title}}</span> <a class="csv" href="{{csvHref}}">下载 CSV</a></h2>
        {{#empty}}<div class="empty">无数据</div>{{/empty}}
        {{^empty}}
        <table data-table="{{name}}">
          <thead><tr>{{#columns}}<th{{#numeric}} class="num"{{/numeric}}>{{label}} <small>{{key}}</small></th>{{/columns}}</tr></thead>
          <tbody>
            {{#rows}}<tr>{{#cells}}<td{{#numeric}} class="num"{{/numeric}}>{{text}}</td>{{/cells}}</tr>{{/rows}}
          </tbody>
        </table>
        {{/empty}}
        """#
}
