# ImageOperator: build, generate, test and run locally. `make help` lists the targets.
# ARTIFACTS=<folder> builds into that folder (dotnet --artifacts-path) instead of each project's bin/ and obj/.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
DOTNET_ARTIFACTS := $(if $(ARTIFACTS),--artifacts-path $(ARTIFACTS))
CHART_CRDS := charts/image-operator/crds
# helm and kubectl as provisioning installs them (tests/stack/lib.sh says where), ahead of any others on PATH.
CLIENT_TOOLS_BIN := $(shell bash -c 'source tests/stack/lib.sh && echo "$$CLIENT_TOOLS_BIN"')
export PATH := $(CLIENT_TOOLS_BIN):$(PATH)
CLUSTER_DIR ?= $(CURDIR)/.cluster
CLUSTER_IMG := image-operator.local/image-operator:dev

.PHONY: help build manifests provision test lint run down status cluster-up cluster-down e2e bench bench-operator bench-webhook helm-lint docker-build image-publish kind

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{ printf "  %-10s %s\n", $$1, $$2 }'

build: ## Build the solution and publish the CLI to bin/image-operator.
	dotnet build ImageOperator.sln -nologo $(DOTNET_ARTIFACTS)
	dotnet publish operator/ImageOperator.Cli -nologo -c Release -o bin $(DOTNET_ARTIFACTS) \
	  -p:PublishSingleFile=true --self-contained false -p:DebugType=none \
	  -p:PublishDocumentationFiles=false -p:PublishReferencesDocumentationFiles=false

manifests: ## Generate the CRDs from the C# API types into crds/ and the Helm chart.
	dotnet run --project operator/ImageOperator.CrdGen $(DOTNET_ARTIFACTS) -- --output crds
	mkdir -p $(CHART_CRDS)
	rm -f $(CHART_CRDS)/*.yaml
	cp crds/*.yaml $(CHART_CRDS)/
	mkdir -p config/crd/bases
	rm -f config/crd/bases/*.yaml
	cp crds/*.yaml config/crd/bases/

provision: ## Install the real components: qemu-img, etcd, the Kubernetes 1.20 binaries, Ceph RGW, helm, kubectl (root or sudo).
	bash tests/stack/provision.sh >/dev/null

test: ## Provision, build, run every test project (TRX in artifacts/test-results) and print the summary.
	ARTIFACTS="$(ARTIFACTS)" bash tests/stack/run-tests.sh

lint: ## Check the shell scripts.
	shellcheck -x tests/stack/*.sh tests/cluster/*.sh tests/e2e/*.sh .ci/run

run: ## Start (or reuse) API server, S3, CRDs, webhooks and the operator in .run/, import and export a sample disk.
	bash tests/stack/run-local.sh up

down: ## Stop everything `make run` started.
	bash tests/stack/run-local.sh down

status: ## Say what `make run` has running.
	bash tests/stack/run-local.sh status

cluster-up: ## Start a one-node cluster (kubelet, docker, RGW) in .cluster/ and build the operator image into its docker.
	bash tests/cluster/provision.sh >/dev/null
	bash tests/cluster/cluster-up.sh $(CLUSTER_DIR)
	bash tests/cluster/build-operator-image.sh $(CLUSTER_DIR) $(CLUSTER_IMG)
	@source $(CLUSTER_DIR)/env && printf '%s\n' \
	  "image: {repository: $(firstword $(subst :, ,$(CLUSTER_IMG))), tag: $(lastword $(subst :, ,$(CLUSTER_IMG))), pullPolicy: Never}" \
	  "objectStores:" "- name: default" "  endpoint: $$CLUSTER_S3_ENDPOINT" "  credentialsSecret: {name: image-operator-s3}" \
	  '  grants: [{namespaces: ["*"], buckets: [images, image-exports], prefix: "{namespace}/", access: ReadWrite}]' \
	  >$(CLUSTER_DIR)/values.yaml
	@echo "cluster ready. In a shell: source $(CLUSTER_DIR)/env  (KUBECONFIG, DOCKER_HOST, S3 keys), then:"
	@echo "  kubectl create namespace image-operator-system"
	@echo "  kubectl -n image-operator-system create secret generic image-operator-s3 --from-literal=accessKey=\$$S3_ACCESS_KEY --from-literal=secretKey=\$$S3_SECRET_KEY"
	@echo "  helm install image-operator charts/image-operator -n image-operator-system -f $(CLUSTER_DIR)/values.yaml --wait"

cluster-down: ## Stop the cluster of `make cluster-up` and remove what it set up on the host.
	bash tests/cluster/cluster-down.sh $(CLUSTER_DIR)

e2e: ## The cluster end-to-end tests alone (a cluster of their own; Helm, kustomize, transfers, failover).
	bash tests/cluster/provision.sh >/dev/null
	dotnet test tests/ImageOperator.ClusterTests -nologo $(DOTNET_ARTIFACTS) --logger "console;verbosity=normal"

helm-lint: ## helm lint --strict and helm template of the chart, with the real helm that provisioning installs.
	bash tests/stack/provision.sh >/dev/null
	helm lint --strict charts/image-operator
	helm template image-operator charts/image-operator -n image-operator-system >/dev/null
	@echo "chart OK"

IMG ?= ghcr.io/imageoperator/image-operator:dev
BASE_IMAGE ?= mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
DOCKER ?= docker
DOCKER_BUILD_FLAGS ?=
IMAGE_PUBLISH := $(or $(ARTIFACTS),artifacts)/image-publish
docker-build: image-publish ## Build the operator's image IMG on BASE_IMAGE from the publish (needs a Docker engine).
	$(DOCKER) build $(DOCKER_BUILD_FLAGS) --build-arg BASE_IMAGE=$(BASE_IMAGE) -f operator/Dockerfile -t $(IMG) $(IMAGE_PUBLISH)

image-publish: ## Publish the operator self-contained for linux-x64 into artifacts/image-publish (the image's content).
	rm -rf $(IMAGE_PUBLISH)
	dotnet publish operator/ImageOperator/ImageOperator.csproj -nologo -c Release -r linux-x64 --self-contained true \
	  -p:InvariantGlobalization=true -p:DebugType=none -p:PublishDocumentationFiles=false \
	  -p:PublishReferencesDocumentationFiles=false -o $(IMAGE_PUBLISH) $(DOTNET_ARTIFACTS)
	test -x $(IMAGE_PUBLISH)/image-operator-manager

kind: ## End-to-end run in a kind cluster (needs Docker, kind and helm): tests/e2e/kind.sh.
	bash tests/e2e/kind.sh

bench: ## Run the benchmarks (tests/bench/bench.sh).
	@if [ -f tests/bench/bench.sh ]; then bash tests/bench/bench.sh; else echo "no benchmarks yet (tests/bench/bench.sh)" >&2; exit 1; fi

bench-operator: ## 1,000 small imports to Available (time, peak RSS); a multi-GiB import + export against a plain S3 copy.
	bash tests/bench/operator-bench.sh

bench-webhook: ## Admission webhooks under load: 200 AdmissionReviews/s for 60 s; server and client p50/p99, errors.
	dotnet run -c Release --project tests/ImageOperator.Benchmarks $(DOTNET_ARTIFACTS) -- webhook --rate 200 --duration 60 --shapes $(CURDIR)/config/samples/shapes.yaml
