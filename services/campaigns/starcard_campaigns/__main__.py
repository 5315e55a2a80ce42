from starcard_campaigns.app import main

main()
