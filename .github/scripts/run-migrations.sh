#!/usr/bin/env bash
# Apply the Flyway migrations of an environment through its CodeBuild project:
#   run-migrations.sh ENVIRONMENT BUNDLE_ZIP [--skip-if-missing]
# It reads the project, bucket and object key from the root's Terraform outputs and
# uploads the bundle. Then it starts a build of exactly that object version and waits
# for it, and exits non-zero when the build does not succeed. With --skip-if-missing,
# an environment whose state has no migration project yet (its first deploy) is
# skipped with a notice.
set -euo pipefail

environment=${1:?usage: run-migrations.sh ENVIRONMENT BUNDLE_ZIP [--skip-if-missing]}
bundle=${2:?usage: run-migrations.sh ENVIRONMENT BUNDLE_ZIP [--skip-if-missing]}
root="terraform/environments/$environment"
poll_seconds=15

outputs=$(terraform -chdir="$root" output -json)
read_output() {
  python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], {}).get("value", ""))' "$1" <<< "$outputs"
}
project=$(read_output migration_project_name)
bucket=$(read_output migration_bucket_name)
key=$(read_output migration_bundle_key)

if [[ -z $project || -z $bucket || -z $key ]]; then
  if [[ ${3:-} == --skip-if-missing ]]; then
    echo "::notice::$environment has no migration project yet (first deploy); migrations run after the apply"
    exit 0
  fi
  echo "::error::the state of $environment has no migration_project_name, migration_bucket_name or migration_bundle_key output" >&2
  exit 1
fi

version=$(aws s3api put-object --bucket "$bucket" --key "$key" --body "$bundle" \
  --query VersionId --output text)
echo "Uploaded $bundle to s3://$bucket/$key, version $version"

build_id=$(aws codebuild start-build --project-name "$project" --source-version "$version" \
  --query build.id --output text)
echo "Started migration build $build_id"

status=IN_PROGRESS
while [[ $status == IN_PROGRESS ]]; do
  sleep "$poll_seconds"
  status=$(aws codebuild batch-get-builds --ids "$build_id" --query 'builds[0].buildStatus' --output text)
done

log_link=$(aws codebuild batch-get-builds --ids "$build_id" --query 'builds[0].logs.deepLink' --output text)
echo "Migration build $build_id finished: $status. Log: $log_link"
if [[ $status != SUCCEEDED ]]; then
  echo "::error::migration build $build_id of $environment ended with $status; see $log_link" >&2
  exit 1
fi
