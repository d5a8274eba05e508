from repcli.cli.app import main

main()
