"""`python -m trusted_proxy_auth verify ...`"""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
