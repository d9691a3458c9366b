# Deployment targets; the Makefile includes this file (`include deploy/deploy.mk`).
# docs/deploy.md describes the layout; scripts/test-deploy the end-to-end test.

.PHONY: test-deploy deploy-check deploy-images deploy-tools nginx-local test-sentinel

deploy-tools: ## podman, debootstrap, nginx, redis-sentinel (apt) + podman-compose (var/compose-venv)
	scripts/install-deploy-tools

deploy-images: deploy-tools ## build the base, Redis, nginx and carebot images with podman (no registry needed)
	scripts/test-deploy --images-only

deploy-check: install ## nginx config vs dummy instances, k8s manifests, compose file (seconds)
	$(PY) -m pytest -q -p no:cacheprovider --confcutdir=tests/deploy tests/deploy

test-deploy: install deploy-check ## images + compose stack with podman, checked end to end through nginx (~2 min with images built, 15-31 min cold: docs/deploy.md)
	PYTHON=$(abspath $(PY)) scripts/test-deploy

nginx-local: ## nginx in front of CAREBOT_INSTANCES local instances (var/nginx/), in the foreground
	scripts/render-nginx-conf --exec

test-sentinel: deploy-tools ## Redis master + 2 replicas + 3 Sentinels (podman): freeze the master, check the failover (~1 min)
	scripts/test-sentinel
