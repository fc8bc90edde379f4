# docs/man/: manual pages (roff), installed with the programs.
dist_man1_MANS = docs/man/colossus.1
dist_man8_MANS = docs/man/colossus-controller.8 \
	docs/man/colossus-nodeagent.8
