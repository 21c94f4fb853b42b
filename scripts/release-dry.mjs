#!/usr/bin/env node
// `npm run release:dry`: what a release would publish, without publishing. Lists every public npm package as
// `npm pack --dry-run` sees it and the files of the Python wheel and sdist built into a temporary directory,
// then the version bumps pending in .changeset. Run after a build (the npm script builds first).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} kB`

const workspaces = readdirSync(join(root, 'packages'))
  .map((name) => ({ dir: `packages/${name}`, manifest: JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private)

const packed = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--silent', ...workspaces.flatMap(({ dir }) => ['--workspace', dir])], { cwd: root, encoding: 'utf8' }),
)
for (const entry of packed) {
  console.log(`\nnpm  ${entry.name}@${entry.version}  ${entry.filename}  packed ${kib(entry.size)}, unpacked ${kib(entry.unpackedSize)}, ${entry.entryCount} files`)
  for (const file of entry.files) console.log(`  ${kib(file.size).padStart(10)}  ${file.path}`)
}

const python = join(root, 'packages', 'python', '.venv', 'bin', 'python')
const outdir = mkdtempSync(join(tmpdir(), 'trusted-proxy-auth-release-dry-'))
try {
  execFileSync(python, ['-m', 'build', '--no-isolation', '--outdir', outdir, join(root, 'packages', 'python')], { stdio: ['ignore', 'ignore', 'inherit'] })
  const listing = `
import sys, tarfile, zipfile, pathlib
for path in sorted(pathlib.Path(sys.argv[1]).iterdir()):
    print(f"\\npypi {path.name}  {path.stat().st_size / 1024:.1f} kB")
    if path.suffix == ".whl":
        for info in zipfile.ZipFile(path).infolist():
            print(f"  {info.file_size / 1024:>7.1f} kB  {info.filename}")
    else:
        for member in tarfile.open(path).getmembers():
            if member.isfile():
                print(f"  {member.size / 1024:>7.1f} kB  {member.name}")
`
  process.stdout.write(execFileSync(python, ['-c', listing, outdir], { encoding: 'utf8' }))
} finally {
  rmSync(outdir, { recursive: true, force: true })
}

console.log('\nchangesets: pending version bumps')
execFileSync('npx', ['changeset', 'status', '--verbose'], { cwd: root, stdio: 'inherit' })
