# Sourced by scripts/run and scripts/serve: export the KEY=VALUE lines of ./.env (no quoting;
# comments and blank lines skipped). A variable already in the environment wins over the file.
if [ -f .env ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
        key="${line%%=*}"
        [ -n "${!key+x}" ] || export "$line"
    done < .env
fi
