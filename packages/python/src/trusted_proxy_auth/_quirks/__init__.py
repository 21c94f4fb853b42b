"""The quirks of contract/presets.json: one module per quirk, each changing only what its rules say."""
