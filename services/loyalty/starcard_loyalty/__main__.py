from starcard_loyalty.app import main

main()
