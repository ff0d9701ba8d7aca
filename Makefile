.PHONY: test bench demo
test:
	./scripts/test.sh
bench:
	./scripts/bench.sh
demo:
	./scripts/demo.sh
