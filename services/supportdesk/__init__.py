"""The operator's side of the desk: settings and the `supportdesk` command line."""
