// SPDX-License-Identifier: GPL-2.0-or-later
// Validate every object of the YAML files given against the Kubernetes API
// schemas kubernetes-models (npm) generates from the official OpenAPI
// specification: node check-manifests.mjs FILE...  Exit 1 on any error.
// scripts/check-manifests.sh installs the two packages and runs this.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

let bad = 0, n = 0;
for (const file of process.argv.slice(2)) {
	const docs = parseAllDocuments(readFileSync(file, "utf8"));
	for (const doc of docs) {
		if (doc.errors.length) {
			console.log(`${file}: YAML: ${doc.errors[0].message}`);
			bad++;
			continue;
		}
		const obj = doc.toJS();
		if (!obj)
			continue;
		const [group, version] = obj.apiVersion.includes("/") ?
			obj.apiVersion.split("/") : [null, obj.apiVersion];
		const mod = `kubernetes-models/${group ? group + "/" : ""}${version}/${obj.kind}`;
		let Model;
		try {
			Model = (await import(mod))[obj.kind];
		} catch (e) {
			console.log(`${file}: ${obj.apiVersion} ${obj.kind}: no schema (${mod})`);
			bad++;
			continue;
		}
		try {
			new Model(obj).validate();
			n++;
			console.log(`${file}: ${obj.kind} ${obj.metadata.name}: valid ${obj.apiVersion}`);
		} catch (e) {
			console.log(`${file}: ${obj.kind} ${obj.metadata?.name}: ${e.message}`);
			bad++;
		}
	}
}
console.log(`${n} objects valid, ${bad} errors`);
process.exit(bad ? 1 : 0);
