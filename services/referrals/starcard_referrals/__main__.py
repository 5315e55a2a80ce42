from starcard_referrals.app import main

main()
