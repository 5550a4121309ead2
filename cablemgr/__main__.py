from cablemgr.cli import main

main()
