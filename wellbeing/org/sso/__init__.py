"""Single sign-on with an organization's OpenID Connect provider."""
