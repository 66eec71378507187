"""goldsieve's built-in plugins: each implements hooks exactly as a third-party plugin would."""
