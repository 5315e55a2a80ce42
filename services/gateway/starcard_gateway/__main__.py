from starcard_gateway.app import main

main()
