"""HTTP plumbing every resource shares: sign-in checks, problem+json, the API object, idempotent creates, paging, common fields, the response language, health probes."""
