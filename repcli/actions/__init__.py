"""Use cases, one module each: plain arguments in (config, store, a frozen options dataclass,
`now`), plain results out (dataclasses). No typer, no rich, no printing, no `sys.exit`: errors
are `repcli.errors.RepcliError`s. `repcli/cli/` parses options, calls one action and renders
its result; a script can call the same action and get what the CLI would print."""
