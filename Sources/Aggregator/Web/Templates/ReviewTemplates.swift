/// The review pages' Mustache templates, embedded in the binary as string literals: an
/// installed `esync-aggregator` is a single file (a `Bundle.module` resource folder would have to
/// travel with it, and a copied binary without it crashes at start).
///
/// Every page is a child of `layout` and fills its `title` and `content` blocks. No page uses
/// JavaScript: filters are GET forms, decisions are POST forms that answer with a redirect.
enum ReviewTemplates {
    static let all: [String: String] = [
        "layout": layout, "style": style, "login": login, "failure": failure, "queue": queue, "countLink": countLink, "conflict": conflict, "regions": regions, "report": report, "reportTable": reportTable,
    ]

    static let layout = #"""
        <!doctype html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · EnterpriseSync 省厅审核</title>
        <style>
        {{>style}}
        </style>
        </head>
        <body>
        <header class="top">
          <div class="brand"><strong>EnterpriseSync</strong> <span>河南省中小企业数据同步 · 省厅审核</span></div>
          {{#nav}}
          <nav aria-label="主导航">
            <a href="/review"{{#queueActive}} class="active" aria-current="page"{{/queueActive}}>审核队列</a>
            <a href="/review/regions"{{#regionsActive}} class="active" aria-current="page"{{/regionsActive}}>各地区概况</a>
            <a href="/review/report"{{#reportActive}} class="active" aria-current="page"{{/reportActive}}>进度报告</a>
          </nav>
          <div class="who">
            <span>审核员 <strong>{{reviewer}}</strong></span>
            <form method="post" action="/review/logout" class="inline">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="link">退出登录</button>
            </form>
          </div>
          {{/nav}}
        </header>
        <main>
        {{#flash}}
        <div class="flash{{#isError}} error{{/isError}}" role="status">
          {{#lines}}<p>{{.}}</p>{{/lines}}
        </div>
        {{/flash}}
        {{$content}}{{/content}}
        </main>
        <footer>EnterpriseSync · 数据以省厅数据库为准 · 时间为北京时间</footer>
        </body>
        </html>
        """#

    static let style = #"""
        :root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --soft: #f5f7fa; --accent: #1d4f91; --ok: #1f7a4d; --bad: #b42318; --warn: #9a6700; }
        * { box-sizing: border-box; }
        body { margin: 0; color: var(--ink); background: #fff; font: 15px/1.55 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif; }
        header.top { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: var(--accent); color: #fff; }
        header.top .brand span { opacity: .85; margin-left: 6px; font-size: 14px; }
        header.top nav { display: flex; gap: 4px; flex: 1; }
        header.top nav a { color: #fff; text-decoration: none; padding: 4px 12px; border-radius: 4px; }
        header.top nav a.active, header.top nav a:hover { background: rgba(255,255,255,.18); }
        header.top .who { display: flex; gap: 12px; align-items: center; font-size: 14px; }
        header.top .who button.link { color: #fff; }
        main { max-width: 1280px; margin: 0 auto; padding: 16px 24px 40px; }
        footer { max-width: 1280px; margin: 0 auto; padding: 12px 24px 24px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); }
        h1 { font-size: 22px; margin: 8px 0 14px; }
        h2 { font-size: 17px; margin: 22px 0 8px; }
        h1 small, h2 small, th small, label small { color: var(--muted); font-weight: normal; font-size: 13px; }
        a { color: var(--accent); }
        code { font: 13px/1.4 "Noto Sans Mono CJK SC", ui-monospace, "DejaVu Sans Mono", monospace; background: var(--soft); padding: 1px 4px; border-radius: 3px; }
        pre { font: 13px/1.45 "Noto Sans Mono CJK SC", ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; word-break: break-all; margin: 0; }
        .muted { color: var(--muted); }
        .flash { border: 1px solid #a6d8bd; background: #ecf8f1; color: #14532d; padding: 8px 14px; border-radius: 6px; margin: 0 0 14px; }
        .flash.error { border-color: #f4b4ae; background: #fdf0ef; color: var(--bad); }
        .flash p { margin: 2px 0; }
        .warn { border: 1px solid #f1d48a; background: #fff8e6; color: var(--warn); padding: 8px 14px; border-radius: 6px; margin: 12px 0; }
        .note.recovered { border: 1px solid #9ec5e8; background: #eef6fd; padding: 8px 14px; border-radius: 6px; margin: 12px 0; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        thead th { background: var(--soft); font-weight: 600; white-space: nowrap; }
        tbody tr:hover { background: #f9fbfd; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.value { max-width: 240px; overflow-wrap: anywhere; }
        td.wide { width: 45%; }
        .badge { display: inline-block; font-size: 12px; padding: 1px 8px; border-radius: 10px; background: var(--soft); border: 1px solid var(--line); white-space: nowrap; font-weight: normal; vertical-align: middle; }
        .badge.open { background: #fff4e5; border-color: #f1c37a; color: #8a4b00; }
        .badge.resolved { background: #ecf8f1; border-color: #a6d8bd; color: var(--ok); }
        .badge.auto { background: #eef2ff; border-color: #c3cdf5; color: #3b4cb8; }
        .badge.stale { background: #fdf0ef; border-color: #f4b4ae; color: var(--bad); }
        .summary { display: grid; grid-template-columns: 150px 1.4fr 1fr 1.2fr; gap: 14px; margin-bottom: 16px; }
        .card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
        .card h2 { margin: 0 0 6px; font-size: 15px; }
        .card.total { display: flex; flex-direction: column; justify-content: center; align-items: center; background: var(--soft); }
        .card.total .n { font-size: 34px; font-weight: 700; color: var(--accent); line-height: 1.1; }
        .counts { columns: 2; column-gap: 18px; margin: 0; padding: 0; list-style: none; font-size: 14px; }
        .counts li { display: flex; justify-content: space-between; gap: 8px; break-inside: avoid; padding: 1px 0; }
        .counts li.active a { font-weight: 700; }
        .counts.single { columns: 1; }
        form.filters { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: flex-end; padding: 10px 14px; background: var(--soft); border-radius: 8px; margin-bottom: 12px; }
        form.filters label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); }
        select, input[type=text], input[type=password], textarea { font: inherit; padding: 5px 8px; border: 1px solid #bcccdc; border-radius: 4px; background: #fff; color: var(--ink); }
        textarea { width: 100%; }
        button { font: inherit; padding: 5px 14px; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
        button.secondary { background: #fff; color: var(--accent); }
        button.danger { background: var(--bad); border-color: var(--bad); }
        button.link { background: none; border: none; padding: 0; color: var(--accent); text-decoration: underline; }
        form.inline { display: inline; margin: 0; }
        .pager { display: flex; gap: 16px; align-items: center; margin: 10px 0; color: var(--muted); font-size: 14px; }
        fieldset { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px 12px; margin: 14px 0; }
        legend { padding: 0 6px; font-weight: 600; }
        .bulk { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
        .bulk input[name=note] { flex: 1; min-width: 260px; }
        .facts { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 4px 16px; margin: 0 0 12px; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; }
        .sides { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 14px; }
        .side { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
        .side h2 { margin: 0 0 8px; font-size: 15px; }
        .side pre { font-size: 15px; min-height: 28px; }
        .side.current { border-top: 4px solid var(--accent); }
        .side.incoming { border-top: 4px solid #c2410c; }
        .side.base { border-top: 4px solid #9aa5b1; background: #fbfcfd; }
        .prov { margin: 10px 0 0; font-size: 13px; color: var(--muted); }
        .decide { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
        .decide .buttons { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
        .decide label { display: block; font-size: 14px; color: var(--muted); margin-bottom: 4px; }
        tr.after td { background: #fffaf0; }
        .login { max-width: 420px; margin: 48px auto; border: 1px solid var(--line); border-radius: 10px; padding: 20px 26px; }
        .login label { display: block; margin: 12px 0 4px; }
        .login input { width: 100%; }
        .login button { margin-top: 16px; width: 100%; }
        .hint { color: var(--muted); font-size: 13px; }
        tr.stale td { background: #fff7f6; }
        .empty { padding: 18px; text-align: center; color: var(--muted); border: 1px dashed var(--line); border-radius: 8px; }
        """#

    static let login = #"""
        {{<layout}}
        {{$content}}
        <div class="login">
          <h1>审核员登录 <small>reviewer sign-in</small></h1>
          <form method="post" action="/review/login">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <input type="hidden" name="next" value="{{next}}">
            <label for="name">姓名 <small>name</small></label>
            <input type="text" id="name" name="name" value="{{name}}" autocomplete="username" required autofocus>
            <label for="token">令牌 <small>token</small></label>
            <input type="password" id="token" name="token" autocomplete="current-password" required>
            <button type="submit">登录</button>
          </form>
          <p class="hint">令牌由省厅管理员创建：<code>esync-aggregator token add --reviewer 姓名</code>。区局的令牌只用于 esync-agent，不能登录审核页面。</p>
        </div>
        {{/content}}
        {{/layout}}
        """#

    static let failure = #"""
        {{<layout}}
        {{$content}}
        <h1>{{heading}} <small>{{status}}</small></h1>
        <div class="flash error"><p>{{message}}</p></div>
        <p><a href="{{backHref}}">{{backLabel}}</a></p>
        {{/content}}
        {{/layout}}
        """#
}
