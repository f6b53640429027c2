// HTML of the mock's pages: the service connections page shell (the list itself is drawn by
// static/adminservices.js after load, as the real single-page app does) and the sign-in page.
// Data from the service goes into the page only as JSON inside <script type="application/json">
// (with `<` escaped) and is put into the DOM by the script with textContent.

const esc = (s) =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
const jsonForScript = (v) =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** The service connections page (list or, with ?resourceId=, one connection): shell + data. */
export function renderPage({ nonce, org, orgId, orgUrl, host, hostKind, project, projects, user, knobs, lastUsed }) {
  const base = hostKind === 'vs' ? '/' : `/${org}/`;
  const dataProviders = {
    data: {
      'ms.vss-tfs-web.header-action-data': { suiteHomeUrl: base, hostName: org },
      'ms.vss-web.page-data': {
        hostName: org,
        hostId: orgId,
        user: { id: user.id, name: user.displayName, email: user.uniqueName, uniqueName: user.uniqueName },
      },
      'ms.vss-tfs-web.page-data': { project: { id: project.id, name: project.name } },
      'ms.vss-web.navigation-data': { orgUrl, host },
      'ms.vss-mock.page-options': {
        layout: knobs.layout,
        virtualize: knobs.virtualize !== false,
        lastUsed,
        projects: projects.slice(0, 50).map((p) => ({ id: p.id, name: p.name })),
      },
    },
  };
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Service connections - Settings</title>
<link rel="stylesheet" href="/_mock/static/adminservices.css">
<script id="dataProviders" type="application/json">${jsonForScript(dataProviders)}</script>
</head>
<body class="bolt-page-grey">
<div class="full-size flex-column">
  <header class="region-header mock-header" role="banner">
    <a class="mock-logo" href="${esc(base)}" aria-label="Azure DevOps">Azure DevOps</a>
    <nav class="mock-breadcrumb" aria-label="Breadcrumb">
      <span class="mock-crumb">${esc(org)}</span><span aria-hidden="true"> / </span>
      <span class="mock-crumb" id="mock-crumb-project">${esc(project.name)}</span><span aria-hidden="true"> / </span>
      <span class="mock-crumb">Settings</span><span aria-hidden="true"> / </span>
      <span class="mock-crumb">Service connections</span>
    </nav>
    <span class="mock-user" title="${esc(user.uniqueName)}">${esc(user.displayName)}</span>
  </header>
  <div class="mock-body">
    <nav class="region-navigation mock-nav" aria-label="Project settings">
      <div class="mock-nav-title">Project Settings</div>
      <div class="mock-nav-section">General</div>
      <span class="mock-nav-item">Overview</span>
      <span class="mock-nav-item">Teams</span>
      <span class="mock-nav-item">Permissions</span>
      <div class="mock-nav-section">Pipelines</div>
      <span class="mock-nav-item">Agent pools</span>
      <span class="mock-nav-item">Parallel jobs</span>
      <a class="mock-nav-item selected" id="mock-nav-adminservices" href="">Service connections</a>
      <span class="mock-nav-item">XAML build services</span>
      <div class="mock-nav-section">Projects</div>
      <div id="mock-project-links"></div>
    </nav>
    <main class="region-content mock-main" id="app" aria-live="polite">
      <div class="mock-loading">Loading…</div>
    </main>
  </div>
</div>
<script nonce="${esc(nonce)}" src="/_mock/static/adminservices.js"></script>
</body>
</html>
`;
}

/** The sign-in page: a form with one button (the mock's stand-in for Microsoft's sign-in). */
export function renderSignIn({ reply }) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in to your account</title>
<style>body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;display:flex;justify-content:center;padding-top:10vh}
form{background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2);width:360px}h1{font-size:24px;font-weight:600}
button{background:#0067b8;color:#fff;border:0;padding:8px 24px;font-size:15px;cursor:pointer}</style></head>
<body>
<form method="post" action="/_signin" id="mock-signin">
  <div>Microsoft</div>
  <h1>Sign in</h1>
  <p>Mock Azure DevOps: no password needed.</p>
  <input type="hidden" name="reply_to" value="${esc(reply)}">
  <button type="submit" id="mock-signin-button">Sign in</button>
</form>
</body>
</html>
`;
}
