"""Where verification keys come from (contract/presets.json `jwksUrlRules`): a key set at a URL or found by
OpenID discovery, one PEM key per kid, or a shared secret."""
