.PHONY: test bench demo dashboard
test:
	./scripts/test.sh
bench:
	./scripts/bench.sh
demo:
	./scripts/demo.sh
dashboard:
	cd dashboard && npm ci && npm run build
