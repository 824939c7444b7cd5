"""The `controlroom` command and its subcommands (operators, audit, evidence, map); imports the
console (Qt) only when it starts one."""
