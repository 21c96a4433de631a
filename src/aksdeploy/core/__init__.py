"""Pure, deterministic domain logic: config, naming, desired state, plans and manifests. No I/O."""
