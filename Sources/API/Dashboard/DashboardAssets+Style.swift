extension DashboardAssets {
    static let style = #"""
    :root { --bg: #f6f7f9; --fg: #1d2330; --muted: #6b7280; --line: #d9dde3; --ok: #18794e; --warn: #a15c07; --bad: #c0262d; --accent: #3b5bdb; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
    header { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.2rem; background: #1d2330; color: #fff; }
    header h1 { font-size: 1.1rem; margin: 0; }
    nav a { color: #cfd6e4; text-decoration: none; margin-right: 1rem; }
    nav a.active { color: #fff; border-bottom: 2px solid #fff; }
    .feed-status { margin-left: auto; font-size: .8rem; padding: .1rem .5rem; border-radius: 1rem; background: #555; }
    .feed-status[data-state="live"] { background: var(--ok); }
    .feed-status[data-state="closed"] { background: var(--bad); }
    main { padding: 1rem 1.2rem; }
    table { border-collapse: collapse; width: 100%; background: #fff; }
    th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { font-weight: 600; color: var(--muted); font-size: .8rem; text-transform: uppercase; }
    td.options { font-family: ui-monospace, monospace; font-size: .8rem; max-width: 28rem; overflow-wrap: anywhere; }
    .state { display: inline-block; padding: 0 .5rem; border-radius: .8rem; font-size: .8rem; background: #e5e7eb; }
    .state[data-state="ready"] { background: #d3f9d8; color: var(--ok); }
    .state[data-state="starting"], .state[data-state="connecting"], .state[data-state="resuming"], .state[data-state="backoff"], .state[data-state="stopping"] { background: #fff3bf; color: var(--warn); }
    .state[data-state="failed"], .state[data-state="auth_failed"], .state[data-state="config_failed"] { background: #ffe3e3; color: var(--bad); }
    tr.failed td { background: #fff5f5; }
    tr.flash td { animation: flash 1s ease-out; }
    @keyframes flash { from { background: #e7f5ff; } to { background: transparent; } }
    .toolbar { display: flex; gap: .5rem; margin: .5rem 0; flex-wrap: wrap; }
    button { font: inherit; padding: .25rem .7rem; border: 1px solid var(--line); border-radius: .3rem; background: #fff; cursor: pointer; }
    button:hover { border-color: var(--accent); }
    input, select { font: inherit; padding: .25rem .4rem; border: 1px solid var(--line); border-radius: .3rem; }
    .muted { color: var(--muted); }
    .error { color: var(--bad); }
    pre { background: #fff; border: 1px solid var(--line); padding: .6rem; overflow: auto; }
    .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: 1rem; }
    .chart { background: #fff; border: 1px solid var(--line); padding: .5rem; }
    .chart h4 { margin: 0 0 .3rem; font-size: .85rem; }
    .chart svg { width: 100%; height: 8rem; }
    .chart polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
    .chart text { font-size: 9px; fill: var(--muted); }
    #login-form { display: grid; gap: .5rem; max-width: 20rem; }
    [hidden] { display: none !important; }
    body.viewer .operator-only { display: none; }
    body:not(.admin) .admin-only { display: none; }
    .composer { display: grid; gap: .4rem; max-width: 48rem; margin-bottom: 1rem; padding: .6rem; background: #fff; border: 1px solid var(--line); }
    .composer h3 { margin: 0; }
    .composer textarea { font: inherit; width: 100%; }
    .targets { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem; }
    .targets li { background: #e7f5ff; border-radius: .8rem; padding: 0 .2rem 0 .6rem; }
    .targets button { border: 0; background: none; padding: 0 .3rem; }
    tr.hidden-product td { color: var(--muted); }
    ul.error { margin: 0; padding-left: 1.2rem; }
    .config { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .5rem 1rem; padding: .6rem; background: #fff; border: 1px solid var(--line); }
    .config label { display: grid; gap: .15rem; }
    .config label.inline { display: flex; align-items: center; gap: .4rem; }
    .config textarea { font-family: ui-monospace, monospace; font-size: .8rem; }
    .config [aria-invalid="true"] { border-color: var(--bad); }
    .field-error { color: var(--bad); font-size: .8rem; }
    """#
}
