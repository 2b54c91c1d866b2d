from modelserver.server import main

main()
