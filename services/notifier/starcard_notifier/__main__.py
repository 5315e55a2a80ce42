from starcard_notifier.app import main

main()
