"""How a prompt reaches a device: one module per delivery channel (the in-app inbox needs none)."""
