from aksdeploy.cli.app import main

main()
