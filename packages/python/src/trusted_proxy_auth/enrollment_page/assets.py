"""The page's one script and one stylesheet, served from the mount path so the Content-Security-Policy can say
`script-src 'self'; style-src 'self'` with no inline code. Both languages serve the same bytes, read from
contract/enrollment-page.json."""

from __future__ import annotations

from trusted_proxy_auth._contract import read_contract_file

_ASSETS = read_contract_file("enrollment-page.json")

PAGE_SCRIPT: str = "\n".join(_ASSETS["script"])
PAGE_STYLE: str = "\n".join(_ASSETS["style"])
