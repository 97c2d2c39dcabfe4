"""Users, roles, sign-in sessions, API tokens and OIDC (pure services: never import Reflex)."""
