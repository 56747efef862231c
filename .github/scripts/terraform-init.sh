#!/usr/bin/env bash
# Initialise an environment root in a deploy workflow:
#   terraform-init.sh ENVIRONMENT [--with-variables]
# The S3 backend comes from TF_STATE_BUCKET and AWS_REGION. With --with-variables,
# TF_VARS_JSON (the TF_VARS_<ENV> repository variable) becomes terraform.tfvars.json,
# which plan reads; apply of a saved plan takes its variables from the plan instead.
set -euo pipefail

environment=${1:?usage: terraform-init.sh ENVIRONMENT [--with-variables]}
root="terraform/environments/$environment"
if [[ ! -d $root ]]; then
  echo "::error::no Terraform root at $root" >&2
  exit 1
fi
: "${TF_STATE_BUCKET:?TF_STATE_BUCKET is empty: set the repository variable TF_STATE_BUCKET_<ENV>}"
: "${AWS_REGION:?AWS_REGION is empty: set the repository variable AWS_REGION_<ENV>}"

printf 'bucket = "%s"\nregion = "%s"\n' "$TF_STATE_BUCKET" "$AWS_REGION" > "$root/backend.hcl"

if [[ ${2:-} == --with-variables ]]; then
  : "${TF_VARS_JSON:?TF_VARS_JSON is empty: set the repository variable TF_VARS_<ENV> to the variables of the root as JSON}"
  printf '%s\n' "$TF_VARS_JSON" > "$root/terraform.tfvars.json"
  if ! python3 -m json.tool "$root/terraform.tfvars.json" > /dev/null; then
    echo "::error::TF_VARS_${environment^^} is not valid JSON" >&2
    exit 1
  fi
fi

# The committed lock file decides the provider versions; init must not change it.
terraform -chdir="$root" init -input=false -lockfile=readonly -backend-config=backend.hcl
