# Sourced by the check and build scripts: `pinned_venv VENV REQUIREMENTS` makes the
# virtual environment VENV from the pinned REQUIREMENTS file, again only when that
# file has changed since. The venv keeps a copy of the file it was made from,
# written last, so an interrupted install is redone on the next run.
pinned_venv() {
    local venv=$1 requirements=$2
    local stamp
    stamp="$venv/$(basename "$requirements")"
    if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$stamp"; then
        echo "== creating $venv from ${requirements#"$ROOT"/}"
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet -r "$requirements" </dev/null
        cp "$requirements" "$stamp"
    fi
}
