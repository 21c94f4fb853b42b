"""The page's one script and one stylesheet, served from the mount path so the Content-Security-Policy can say
`script-src 'self'; style-src 'self'` with no inline code. The same text as the TypeScript page's
page-assets.ts: the script only moves focus to the outcome of the last action and marks a form busy; every
action works without it. Colours meet WCAG 2.2 AA contrast; focus is always visible."""

# ruff: noqa: E501 - the stylesheet is kept byte-identical to the TypeScript one

PAGE_SCRIPT = """'use strict'
document.addEventListener('DOMContentLoaded', function () {
  var target = document.querySelector('[data-focus]')
  if (target) target.focus()
  document.querySelectorAll('form[data-busy-text]').forEach(function (form) {
    form.addEventListener('submit', function () {
      var button = form.querySelector('button[type=submit]')
      form.setAttribute('aria-busy', 'true')
      if (button) {
        button.disabled = true
        button.textContent = form.getAttribute('data-busy-text')
      }
    })
  })
})
"""

PAGE_STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; color: #1a1a1a; background: #ffffff; margin: 0; }
main { max-width: 54rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.75rem; margin: 0 0 .5rem; }
h2 { font-size: 1.25rem; margin: 1.75rem 0 .5rem; }
p.lead { color: #333333; margin-top: 0; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9rem; }
pre { background: #f3f4f6; padding: .75rem; overflow: auto; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #c8ccd2; vertical-align: top; word-break: break-word; }
th { font-weight: 600; }
label { display: block; font-weight: 600; margin-top: .9rem; }
.hint { display: block; font-weight: 400; color: #4a4a4a; font-size: .9rem; }
input[type=text], input[type=url] { width: 100%; font: inherit; padding: .45rem .5rem; border: 1px solid #5f6368; border-radius: 4px; }
button { font: inherit; font-weight: 600; margin-top: 1rem; padding: .55rem 1.1rem; border-radius: 4px; border: 1px solid #0b4f9c; background: #0b5cad; color: #ffffff; cursor: pointer; }
button.secondary { background: #ffffff; color: #0b4f9c; }
button.danger { background: #a4161a; border-color: #7d1014; }
button:disabled { opacity: .7; cursor: progress; }
:focus-visible { outline: 3px solid #b35900; outline-offset: 2px; }
.notice { border: 2px solid #0b5cad; background: #eef5fd; padding: .75rem 1rem; border-radius: 4px; }
.error { border: 2px solid #a4161a; background: #fdf0f0; padding: .75rem 1rem; border-radius: 4px; }
.success { border: 2px solid #0a6b2e; background: #eefaf2; padding: .75rem 1rem; border-radius: 4px; }
ol.checks { list-style: none; padding: 0; }
ol.checks li { padding: .4rem .5rem; border-bottom: 1px solid #c8ccd2; }
.result { display: inline-block; min-width: 5.5rem; font-weight: 700; }
.pass { color: #0a6b2e; }
.fail { color: #a4161a; }
.not_run { color: #4a4a4a; }
.detail { display: block; color: #333333; font-size: .9rem; margin-left: 5.5rem; }
"""
