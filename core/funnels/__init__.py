"""Funnels: the declared model, checking a definition, the registry of loaded funnels, automation
rules, the transition policy, validation of deal data, and versions from draft to migration."""
