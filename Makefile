# flink-autoscale-guard: a local playground (kind) with cert-manager, the Vertical Pod
# Autoscaler, the Flink Kubernetes Operator, our Flink job chart and our admission
# webhook, plus the developer targets (test, lint, plugin/install).
#
# `make` or `make help` lists the targets. Every variable below can be overridden on
# the command line, e.g. `make up CLUSTER_NAME=dev` or `make flink/install FLINK_NAMESPACE=jobs`.
# `make -n TARGET` prints the commands without running them.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Tools
KIND ?= kind
KUBECTL ?= kubectl
HELM ?= helm
CARGO ?= cargo
DOCKER ?= docker

# Release facts: the crate version, the commit, the host platform (krew's names)
VERSION ?= $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
GIT_COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
HOST_OS ?= $(shell uname -s | tr A-Z a-z)
HOST_ARCH ?= $(shell uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')

# The kind cluster
CLUSTER_NAME ?= flink-autoscale
KUBE_CONTEXT ?= kind-$(CLUSTER_NAME)

# cert-manager (the operator's webhook and ours get their certificates from it)
CERT_MANAGER_VERSION ?= v1.18.2
CERT_MANAGER_URL ?= https://github.com/cert-manager/cert-manager/releases/download/$(CERT_MANAGER_VERSION)/cert-manager.yaml

# Vertical Pod Autoscaler (recommender, updater and admission controller), Fairwinds' chart
VPA_NAMESPACE ?= vpa
VPA_RELEASE ?= vpa
VPA_HELM_REPO ?= https://charts.fairwinds.com/stable
VPA_CHART_VERSION ?=

# Flink Kubernetes Operator
OPERATOR_VERSION ?= 1.13.0
OPERATOR_HELM_REPO ?= https://downloads.apache.org/flink/flink-kubernetes-operator-$(OPERATOR_VERSION)/
OPERATOR_NAMESPACE ?= flink-operator
OPERATOR_RELEASE ?= flink-kubernetes-operator

# Our Flink jobs (charts/flink-autoscale)
FLINK_NAMESPACE ?= flink
FLINK_RELEASE ?= flink-autoscale
FLINK_CHART ?= charts/flink-autoscale
# Extra arguments for helm, e.g. FLINK_VALUES="-f my-values.yaml"
FLINK_VALUES ?=
# The FlinkDeployment whose UI `make ui` forwards, and the local port
UI_JOB ?= state-machine
UI_PORT ?= 8081

# Our admission webhook (charts/flink-autoscale-webhook)
WEBHOOK_NAMESPACE ?= flink-autoscale-system
WEBHOOK_RELEASE ?= flink-autoscale-webhook
WEBHOOK_CHART ?= charts/flink-autoscale-webhook
WEBHOOK_IMAGE ?= flink-autoscale-webhook
WEBHOOK_TAG ?= $(VERSION)
# deny or warn (audit mode)
WEBHOOK_ENFORCEMENT ?= deny
WEBHOOK_VALUES ?=

# The kubectl plugin
BIN_DIR ?= $(HOME)/.local/bin

HELM_KUBE := --kube-context $(KUBE_CONTEXT)
KUBECTL_KUBE := --context $(KUBE_CONTEXT)

.PHONY: help up demo flink/wait kind/up kind/down cert-manager/install vpa/install \
	flink-operator/install flink-operator/uninstall flink-operator/reinstall \
	flink/install flink/uninstall flink/reinstall ui \
	webhook/image webhook/load kind/load webhook/install webhook/uninstall \
	plugin/install plugin/archive krew/manifest test lint

help: ## List the targets
	@echo "Usage: make TARGET [VARIABLE=value ...]"
	@echo
	@echo "Targets:"
	@grep -hE '^[a-zA-Z0-9_/.-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-28s %s\n", $$1, $$2}'
	@echo
	@echo "Variables (override with VAR=value; see the top of the Makefile for all):"
	@echo "  CLUSTER_NAME=$(CLUSTER_NAME) FLINK_NAMESPACE=$(FLINK_NAMESPACE) FLINK_RELEASE=$(FLINK_RELEASE)"
	@echo "  OPERATOR_VERSION=$(OPERATOR_VERSION) OPERATOR_NAMESPACE=$(OPERATOR_NAMESPACE)"
	@echo "  WEBHOOK_NAMESPACE=$(WEBHOOK_NAMESPACE) WEBHOOK_IMAGE=$(WEBHOOK_IMAGE):$(WEBHOOK_TAG) BIN_DIR=$(BIN_DIR)"

# The order matters: the webhook is up before the jobs, so their FlinkDeployments and
# VPAs pass through it; the end waits until every job of the release runs.
up: kind/up cert-manager/install vpa/install flink-operator/install webhook/image webhook/load webhook/install flink/install flink/wait ## Create the kind cluster; install cert-manager, VPA, the Flink operator, the webhook (built and loaded) and the Flink jobs; wait until the jobs run
	@echo "==> up: cluster $(CLUSTER_NAME): the Flink job(s) of $(FLINK_RELEASE) run in namespace $(FLINK_NAMESPACE), scaled by the operator's autoscaler, memory by the VPA, guarded by the webhook. Next:"
	@echo "  make plugin/install                                  # kubectl flink, into $(BIN_DIR)"
	@echo "  kubectl flink status -n $(FLINK_NAMESPACE) --context $(KUBE_CONTEXT)      # the scaling picture"
	@echo "  kubectl flink explain $(UI_JOB) -n $(FLINK_NAMESPACE) --context $(KUBE_CONTEXT)   # why this parallelism"
	@echo "  make ui                                              # the Flink UI on http://localhost:$(UI_PORT)"
	@echo "  make kind/down                                       # delete the cluster"

# The test API server (no cluster, no Docker) seeded with DEMO_DIR: several Flink jobs
# with the operator's autoscaler history, VPAs, an HPA conflict. It prints the
# kubeconfig's `export KUBECONFIG=...` line and serves until Ctrl-C.
DEMO_DIR ?= examples/demo
demo: ## Try kubectl flink without a cluster: a test API server with a realistic scenario (prints export KUBECONFIG=...)
	@echo "==> demo: test API server with $(DEMO_DIR) (Ctrl-C stops); in another shell run the export KUBECONFIG=... line printed below, then e.g."
	@echo "  kubectl flink status -A --now $(DEMO_NOW)"
	@echo "  kubectl flink explain orders-pipeline -n flink --now $(DEMO_NOW)"
	@echo "  (kubectl finds the plugin after make plugin/install, or with PATH=$(CURDIR)/target/debug:\$$PATH)"
	$(CARGO) build --quiet -p kubectl-flink
	$(CARGO) run --quiet -p flink-autoscale-e2e --bin flink-test-apiserver -- $(DEMO_DIR) >/dev/null

# The instant the demo's recorded history ends (the operator's last reconcile there).
DEMO_NOW ?= 2026-07-01T12:43:00Z

# Every FlinkDeployment of the release with a running job (application clusters), or
# FLINK_WAIT_TIMEOUT elapsed.
FLINK_WAIT_TIMEOUT ?= 600s
flink/wait: ## Wait until the jobs of FLINK_RELEASE run (status.jobStatus.state RUNNING)
	@echo "==> flink/wait: FlinkDeployments of $(FLINK_RELEASE) in $(FLINK_NAMESPACE) until their job is RUNNING (at most $(FLINK_WAIT_TIMEOUT))"
	$(KUBECTL) $(KUBECTL_KUBE) -n $(FLINK_NAMESPACE) wait flinkdeployment -l app.kubernetes.io/instance=$(FLINK_RELEASE) \
		--for=jsonpath='{.status.jobStatus.state}'=RUNNING --timeout=$(FLINK_WAIT_TIMEOUT)

kind/up: ## Create the kind cluster CLUSTER_NAME (kept if it exists)
	@echo "==> kind/up: creating kind cluster $(CLUSTER_NAME)"
	@if $(KIND) get clusters 2>/dev/null | grep -qx '$(CLUSTER_NAME)'; then \
		echo "kind cluster $(CLUSTER_NAME) already exists"; \
	else \
		$(KIND) create cluster --name $(CLUSTER_NAME) --wait 180s; \
	fi

kind/down: ## Delete the kind cluster CLUSTER_NAME
	@echo "==> kind/down: deleting kind cluster $(CLUSTER_NAME)"
	$(KIND) delete cluster --name $(CLUSTER_NAME)

cert-manager/install: ## Install cert-manager (CERT_MANAGER_VERSION) and wait until it is available
	@echo "==> cert-manager/install: cert-manager $(CERT_MANAGER_VERSION)"
	$(KUBECTL) $(KUBECTL_KUBE) apply -f $(CERT_MANAGER_URL)
	$(KUBECTL) $(KUBECTL_KUBE) -n cert-manager wait --for=condition=Available deployment --all --timeout=300s

vpa/install: ## Install the Vertical Pod Autoscaler (recommender, updater, admission controller)
	@echo "==> vpa/install: Vertical Pod Autoscaler into namespace $(VPA_NAMESPACE)"
	$(HELM) repo add fairwinds-stable $(VPA_HELM_REPO) --force-update
	$(HELM) $(HELM_KUBE) upgrade --install $(VPA_RELEASE) fairwinds-stable/vpa \
		--namespace $(VPA_NAMESPACE) --create-namespace \
		--set admissionController.enabled=true --wait$(if $(VPA_CHART_VERSION), --version $(VPA_CHART_VERSION))

flink-operator/install: ## Install the Flink Kubernetes Operator (OPERATOR_VERSION; needs cert-manager)
	@echo "==> flink-operator/install: Flink Kubernetes Operator $(OPERATOR_VERSION) into namespace $(OPERATOR_NAMESPACE)"
	$(HELM) repo add flink-operator-repo-$(OPERATOR_VERSION) $(OPERATOR_HELM_REPO) --force-update
	$(HELM) $(HELM_KUBE) upgrade --install $(OPERATOR_RELEASE) flink-operator-repo-$(OPERATOR_VERSION)/flink-kubernetes-operator \
		--version $(OPERATOR_VERSION) --namespace $(OPERATOR_NAMESPACE) --create-namespace --wait

flink-operator/uninstall: ## Uninstall the Flink Kubernetes Operator (its CRDs stay)
	@echo "==> flink-operator/uninstall: release $(OPERATOR_RELEASE) in namespace $(OPERATOR_NAMESPACE)"
	$(HELM) $(HELM_KUBE) uninstall $(OPERATOR_RELEASE) --namespace $(OPERATOR_NAMESPACE) --ignore-not-found

flink-operator/reinstall: flink-operator/uninstall flink-operator/install ## Uninstall, then install the Flink Kubernetes Operator

flink/install: ## Install or upgrade the Flink jobs (charts/flink-autoscale) into FLINK_NAMESPACE
	@echo "==> flink/install: $(FLINK_CHART) as $(FLINK_RELEASE) into namespace $(FLINK_NAMESPACE)"
	$(HELM) $(HELM_KUBE) upgrade --install $(FLINK_RELEASE) $(FLINK_CHART) \
		--namespace $(FLINK_NAMESPACE) --create-namespace --wait $(FLINK_VALUES)

flink/uninstall: ## Uninstall the Flink jobs
	@echo "==> flink/uninstall: release $(FLINK_RELEASE) in namespace $(FLINK_NAMESPACE)"
	$(HELM) $(HELM_KUBE) uninstall $(FLINK_RELEASE) --namespace $(FLINK_NAMESPACE) --ignore-not-found --wait

flink/reinstall: flink/uninstall flink/install ## Uninstall, then install the Flink jobs (a fresh start from their jars)

ui: ## Forward the Flink UI of UI_JOB to http://localhost:UI_PORT
	@echo "==> ui: Flink UI of $(UI_JOB) on http://localhost:$(UI_PORT) (Ctrl-C stops)"
	$(KUBECTL) $(KUBECTL_KUBE) -n $(FLINK_NAMESPACE) port-forward svc/$(UI_JOB)-rest $(UI_PORT):8081

webhook/load: ## Load the webhook image WEBHOOK_IMAGE:WEBHOOK_TAG from the local Docker into kind
	@echo "==> webhook/load: image $(WEBHOOK_IMAGE):$(WEBHOOK_TAG) into kind cluster $(CLUSTER_NAME)"
	$(KIND) load docker-image $(WEBHOOK_IMAGE):$(WEBHOOK_TAG) --name $(CLUSTER_NAME)

webhook/image: ## Build the webhook image WEBHOOK_IMAGE:WEBHOOK_TAG with Docker (Dockerfile)
	@echo "==> webhook/image: docker build $(WEBHOOK_IMAGE):$(WEBHOOK_TAG) at commit $(GIT_COMMIT)"
	$(DOCKER) build --build-arg VERSION=$(WEBHOOK_TAG) --build-arg GIT_COMMIT=$(GIT_COMMIT) -t $(WEBHOOK_IMAGE):$(WEBHOOK_TAG) .

kind/load: webhook/load ## Load the webhook image into the kind cluster (same as webhook/load)

plugin/archive: ## Build kubectl-flink (release) and pack dist/kubectl-flink_VERSION_OS_ARCH.tar.gz for krew
	@echo "==> plugin/archive: dist/kubectl-flink_$(VERSION)_$(HOST_OS)_$(HOST_ARCH).tar.gz"
	$(CARGO) build --release --locked -p kubectl-flink
	mkdir -p dist
	tar -czf dist/kubectl-flink_$(VERSION)_$(HOST_OS)_$(HOST_ARCH).tar.gz -C target/release kubectl-flink -C $(CURDIR)/plugin kubectl_complete-flink -C $(CURDIR) README.md

krew/manifest: ## Write the sha256 of the archives in dist/ into plugins/flink.yaml
	@echo "==> krew/manifest: sha256 of dist/*.tar.gz into plugins/flink.yaml"
	plugins/update-sha256.sh dist

webhook/install: ## Install or upgrade the admission webhook (charts/flink-autoscale-webhook; needs cert-manager)
	@echo "==> webhook/install: $(WEBHOOK_CHART) as $(WEBHOOK_RELEASE) into namespace $(WEBHOOK_NAMESPACE), enforcement $(WEBHOOK_ENFORCEMENT)"
	$(HELM) $(HELM_KUBE) upgrade --install $(WEBHOOK_RELEASE) $(WEBHOOK_CHART) \
		--namespace $(WEBHOOK_NAMESPACE) --create-namespace \
		--set image.repository=$(WEBHOOK_IMAGE) --set image.tag=$(WEBHOOK_TAG) \
		--set enforcement=$(WEBHOOK_ENFORCEMENT) $(WEBHOOK_VALUES) --wait

webhook/uninstall: ## Uninstall the admission webhook
	@echo "==> webhook/uninstall: release $(WEBHOOK_RELEASE) in namespace $(WEBHOOK_NAMESPACE)"
	$(HELM) $(HELM_KUBE) uninstall $(WEBHOOK_RELEASE) --namespace $(WEBHOOK_NAMESPACE) --ignore-not-found

plugin/install: ## Build kubectl-flink (release) and copy it to BIN_DIR, so `kubectl flink` finds it
	@echo "==> plugin/install: building kubectl-flink and installing it into $(BIN_DIR)"
	$(CARGO) build --release --locked -p kubectl-flink
	mkdir -p $(BIN_DIR)
	install -m 0755 target/release/kubectl-flink $(BIN_DIR)/kubectl-flink
	install -m 0755 plugin/kubectl_complete-flink $(BIN_DIR)/kubectl_complete-flink
	@case ":$$PATH:" in *":$(BIN_DIR):"*) ;; *) echo "note: $(BIN_DIR) is not on PATH; add it to use 'kubectl flink'";; esac

test: ## Run every test (cargo test --workspace; the chart tests install helm into target/tools when missing)
	@echo "==> test: cargo test --workspace"
	$(CARGO) test --workspace

lint: ## Check formatting, clippy (warnings are errors) and both charts (helm lint --strict)
	@echo "==> lint: rustfmt, clippy, helm lint"
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(HELM) lint --strict charts/flink-autoscale charts/flink-autoscale-webhook
