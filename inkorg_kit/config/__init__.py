"""What the kit reads from YAML, typed: one strict loader, one formatter of validation errors,
and the models (campaign, send windows, target spec, status-export mapping, reach
assumptions)."""
