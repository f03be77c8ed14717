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

# `dist_wheel`: the path of this version's wheel in dist/, or an error saying
# how to build it (exit status 2).
dist_wheel() {
    local version wheels
    version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)
    wheels=("$ROOT"/dist/pixelprep-"$version"-*.whl)
    if [ ! -f "${wheels[0]}" ]; then
        echo "error: no pixelprep $version wheel in dist/; build it with scripts/build-wheel.sh" >&2
        return 2
    fi
    echo "${wheels[0]}"
}

# `venv_with_wheel VENV REQUIREMENTS`: `pinned_venv`, then this version's wheel
# from dist/ installed offline over any earlier one (numpy is already there, as
# in a notebook without internet).
venv_with_wheel() {
    local venv=$1 requirements=$2 wheel
    wheel="$(dist_wheel)"
    export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
    pinned_venv "$venv" "$requirements"
    "$venv/bin/python" -m pip install --quiet --no-index --force-reinstall --no-deps "$wheel" </dev/null
}
