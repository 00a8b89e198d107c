#!/usr/bin/env node
// IAM decision oracle for differential tests of connector-audit.
//
// Wraps @cloud-copilot/iam-simulate (AGPL-3.0-or-later). TEST-TIME ONLY: run it
// as a separate `node` process and talk to it over stdin/stdout. Never link it,
// vendor it or ship it with connector-audit. See README.md in this folder.
//
// PROTOCOL: JSON Lines. One request object per line on stdin; exactly one
// answer line per request on stdout, in the same order. Blank lines are
// skipped (they get no answer). A line that is not valid JSON, or a request the
// simulator rejects, or anything that throws, is answered with an `error`
// object; the process keeps running until stdin closes.
//
// Request:
//   {
//     "id": "any JSON value, echoed back (use a string)",
//     "principal": "arn:aws:iam::111122223333:role/x"        (IAM role / user / assumed-role / federated-user ARN)
//                | "glue.amazonaws.com"                       (service principal: the bare service name)
//                | "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
//                                                             (web identity: the provider ARN, exactly as in
//                                                              the trust policy's "Federated" value)
//                | "arn:aws:iam::123456789012:saml-provider/X" (SAML: likewise)
//                | {"type": "Anonymous"}                      (unsigned request)
//     "action": "s3:GetObject",
//     "resource": "arn:aws:s3:::bucket/key",                 (use "*" for wildcard-only actions)
//     "resourceAccount": "123456789012",                     (optional; default: the account field of
//                                                              "resource", else the principal's account)
//     "context": {"aws:PrincipalAccount": "...", "sts:ExternalId": "...", "aws:PrincipalOrgPaths": ["..."]},
//                                                             (optional; values are strings or arrays of
//                                                              strings; NOTHING is derived from the
//                                                              principal: pass aws:PrincipalArn etc. yourself)
//     "identityPolicies": [<policy JSON> | {"name": "...", "policy": <policy JSON>}],   (optional, default [])
//     "resourcePolicy": <policy JSON> | null,                (for sts:AssumeRole*: the role's trust policy)
//     "permissionBoundaryPolicies": [<policy JSON> | {"name","policy"}],               (optional)
//     "sessionPolicy": <policy JSON> | null,                 (optional; role/assumed-role/federated-user only)
//     "serviceControlPolicies":  [<level>, ...],             (optional; root first, the account's own last)
//     "resourceControlPolicies": [<level>, ...],             (optional; root first, the account's own last)
//         where <level> = {"orgIdentifier": "r-xxxx|ou-xxxx|123456789012",
//                          "policies": [<policy JSON> | {"name","policy"}]}
//                       | [<policy JSON> | {"name","policy"}]   (orgIdentifier then defaults to "level-<i>")
//         SCPs: every level must contain an Allow (AWS attaches FullAWSAccess; the simulator does NOT add
//               it, so include it). An empty/absent list means "no SCPs apply".
//         RCPs: the simulator adds RCPFullAWSAccess to every level itself.
//     "additionalSettings": {"s3": {"blockPublicAccess": true, "bucketAbacEnabled": false}},  (optional)
//     "aliasOidcKeys": true                                  (optional, default true; see below)
//   }
//
// Answer:
//   {"id": ..., "result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied", "explain": {...}}
//   {"id": ..., "error": "message", "details": {...}}   (invalid line / rejected request / exception)
//
//   explain (compact, informative only; do not compare it across engines):
//     resultType          "single" or "wildcard" (a "*" in a non-wildcard-only action's resource)
//     sameAccount         principal account == resource account, as the simulator saw it
//     resourceAccount     the account used (and resourceAccountDefaulted: true if it was guessed)
//     policies            per policy type result: identity, resource, permissionBoundary, session, scp, rcp
//     blockedBy           which guardrails turned an Allow into a deny (scp, rcp, pb, resource, identity, ...)
//     grants / denials    the simulator's getGrantReasons / getDenialReasons
//     conditionMisses     statements whose action/resource/principal matched but whose Condition failed,
//                         with the failing operator/key and whether it failed because the key was missing
//     ignoredContextKeys  context keys the simulator dropped as not applicable to the action (they are
//                         then treated as ABSENT; see README)
//     aliasedContextKeys  web-identity keys renamed by this wrapper (see below)
//
// Web-identity key aliasing (aliasOidcKeys): the simulator drops every context key that is not listed
// for the action in its bundled IAM data. For sts:AssumeRoleWithWebIdentity that data lists only a few
// providers (accounts.google.com, cognito-identity.amazonaws.com, graph.facebook.com, www.amazon.com,
// gitlab.com, some GitHub claims, ...), so e.g. "oidc.eks.<region>.amazonaws.com/id/<ID>:sub" or
// "token.actions.githubusercontent.com:sub" would be treated as missing. For that action only, this
// wrapper renames each such provider key (context AND every policy's Condition keys and ${...} policy
// variables, consistently, case-insensitively) to an unused String-typed key that the simulator does
// accept. Operators do not depend on key names, so the decision is unchanged; the renaming is reported
// in explain.aliasedContextKeys. Keys whose context value is an array are not aliased (the simulator
// would collapse them to their first element).

import { realpathSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import {
  allowedContextKeysForRequest,
  getDenialReasons,
  getGrantReasons,
  runSimulation,
  typeForContextKey
} from '@cloud-copilot/iam-simulate'

const WEB_IDENTITY_ACTION = 'sts:assumerolewithwebidentity'

/** Thrown for malformed requests; becomes an {"error": ...} answer. */
class RequestError extends Error {
  constructor(message, details) {
    super(message)
    this.details = details
  }
}

function isPlainObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Accepts a policy document or {name, policy}; returns {name, policy}. */
function namedPolicy(entry, defaultName) {
  if (isPlainObject(entry) && 'policy' in entry && !('Statement' in entry)) {
    return { name: String(entry.name ?? defaultName), policy: entry.policy }
  }
  return { name: defaultName, policy: entry }
}

function namedPolicies(list, field, prefix) {
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) throw new RequestError(`"${field}" must be an array`)
  return list.map((p, i) => namedPolicy(p, `${prefix}-${i}`))
}

function orgLevels(list, field, prefix) {
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) throw new RequestError(`"${field}" must be an array of levels`)
  return list.map((level, i) => {
    if (Array.isArray(level)) {
      return {
        orgIdentifier: `level-${i}`,
        policies: level.map((p, j) => namedPolicy(p, `${prefix}-${i}-${j}`))
      }
    }
    if (isPlainObject(level) && Array.isArray(level.policies)) {
      return {
        orgIdentifier: String(level.orgIdentifier ?? `level-${i}`),
        policies: level.policies.map((p, j) => namedPolicy(p, `${prefix}-${i}-${j}`))
      }
    }
    throw new RequestError(
      `"${field}[${i}]" must be {"orgIdentifier": ..., "policies": [...]} or an array of policies`
    )
  })
}

function accountOfArn(arn) {
  if (typeof arn !== 'string') return undefined
  const parts = arn.split(':')
  if (parts.length < 6 || parts[0] !== 'arn') return undefined
  return /^\d{12}$/.test(parts[4]) ? parts[4] : undefined
}

function validateContext(context) {
  if (context === undefined || context === null) return {}
  if (!isPlainObject(context)) throw new RequestError('"context" must be an object')
  for (const [k, v] of Object.entries(context)) {
    const ok =
      typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))
    if (!ok) throw new RequestError(`context value for "${k}" must be a string or array of strings`)
  }
  return { ...context }
}

// ---------------------------------------------------------------------------
// Web-identity key aliasing
// ---------------------------------------------------------------------------

/** Same acceptance test as the simulator's normalizeSimulationParameters. */
function simulatorAccepts(lowerKey, allowed) {
  if (allowed.has(lowerKey)) return true
  const slash = lowerKey.indexOf('/')
  if (slash === -1) return false
  const prefix = lowerKey.slice(0, slash + 1)
  for (const k of allowed) if (k.startsWith(prefix)) return true
  return false
}

/** "<provider host[/path]>:<claim>" with a dotted host, e.g. oidc.eks.x.amazonaws.com/id/A:sub */
function looksLikeProviderKey(key) {
  const colon = key.lastIndexOf(':')
  if (colon <= 0 || colon === key.length - 1) return false
  const provider = key.slice(0, colon)
  const host = provider.split('/')[0]
  return host.includes('.')
}

/** Collects lower-cased condition keys used in a policy document. */
function collectConditionKeys(policy, out) {
  if (!isPlainObject(policy)) return
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]
  for (const st of statements) {
    if (!isPlainObject(st) || !isPlainObject(st.Condition)) continue
    for (const block of Object.values(st.Condition)) {
      if (isPlainObject(block)) for (const k of Object.keys(block)) out.add(k.toLowerCase())
    }
  }
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Returns a deep copy of the policy with condition keys / ${vars} renamed. */
function renameKeysInPolicy(policy, aliasByLower) {
  if (!isPlainObject(policy) || aliasByLower.size === 0) return policy
  let text = JSON.stringify(policy)
  for (const [lower, alias] of aliasByLower) {
    text = text.replace(new RegExp('\\$\\{' + escapeRegExp(lower) + '\\}', 'gi'), '${' + alias + '}')
  }
  const copy = JSON.parse(text)
  const single = !Array.isArray(copy.Statement)
  const statements = single ? [copy.Statement] : copy.Statement
  for (const st of statements) {
    if (!isPlainObject(st) || !isPlainObject(st.Condition)) continue
    for (const [op, block] of Object.entries(st.Condition)) {
      if (!isPlainObject(block)) continue
      const renamed = {}
      for (const [k, v] of Object.entries(block)) {
        const alias = aliasByLower.get(k.toLowerCase())
        const newKey = alias ?? k
        if (newKey in renamed) {
          throw new RequestError(`aliasing would merge condition keys under ${op}: ${newKey}`)
        }
        renamed[newKey] = v
      }
      st.Condition[op] = renamed
    }
  }
  return copy
}

async function aliasWebIdentityKeys(sim) {
  const [service, action] = sim.request.action.split(':')
  let allowed
  try {
    allowed = new Set(
      await allowedContextKeysForRequest(
        service,
        action,
        sim.request.resource.resource,
        !!sim.additionalSettings?.s3?.bucketAbacEnabled,
        undefined
      )
    )
  } catch {
    return {} // let runSimulation report the problem with the request
  }

  const ctx = sim.request.contextVariables
  const toAlias = Object.keys(ctx).filter(
    (k) =>
      typeof ctx[k] === 'string' &&
      looksLikeProviderKey(k) &&
      !simulatorAccepts(k.toLowerCase(), allowed)
  )
  if (toAlias.length === 0) return {}

  const used = new Set(Object.keys(ctx).map((k) => k.toLowerCase()))
  const allPolicies = [
    ...sim.identityPolicies.map((p) => p.policy),
    ...(sim.permissionBoundaryPolicies ?? []).map((p) => p.policy),
    ...sim.serviceControlPolicies.flatMap((l) => l.policies.map((p) => p.policy)),
    ...sim.resourceControlPolicies.flatMap((l) => l.policies.map((p) => p.policy)),
    sim.resourcePolicy,
    sim.sessionPolicy
  ]
  for (const p of allPolicies) collectConditionKeys(p, used)

  const pool = []
  for (const k of [...allowed].sort()) {
    if (k.includes('$') || !looksLikeProviderKey(k) || used.has(k)) continue
    let type
    try {
      type = await typeForContextKey(k)
    } catch {
      continue
    }
    if (type === 'String') pool.push(k)
  }

  const aliasByLower = new Map()
  const report = {}
  for (const key of toAlias) {
    const lower = key.toLowerCase()
    if (aliasByLower.has(lower)) continue
    const alias = pool.shift()
    if (!alias) break
    aliasByLower.set(lower, alias)
    report[key] = alias
  }

  const newCtx = {}
  for (const [k, v] of Object.entries(ctx)) newCtx[aliasByLower.get(k.toLowerCase()) ?? k] = v
  sim.request.contextVariables = newCtx
  const rename = (p) => renameKeysInPolicy(p, aliasByLower)
  sim.identityPolicies = sim.identityPolicies.map((p) => ({ ...p, policy: rename(p.policy) }))
  if (sim.permissionBoundaryPolicies) {
    sim.permissionBoundaryPolicies = sim.permissionBoundaryPolicies.map((p) => ({
      ...p,
      policy: rename(p.policy)
    }))
  }
  for (const field of ['serviceControlPolicies', 'resourceControlPolicies']) {
    sim[field] = sim[field].map((l) => ({
      ...l,
      policies: l.policies.map((p) => ({ ...p, policy: rename(p.policy) }))
    }))
  }
  if (sim.resourcePolicy) sim.resourcePolicy = rename(sim.resourcePolicy)
  if (sim.sessionPolicy) sim.sessionPolicy = rename(sim.sessionPolicy)
  return report
}

// ---------------------------------------------------------------------------
// Request -> Simulation
// ---------------------------------------------------------------------------

async function buildSimulation(req) {
  if (!isPlainObject(req)) throw new RequestError('request must be a JSON object')
  const { principal, action, resource } = req
  const anonymous = isPlainObject(principal) && principal.type === 'Anonymous'
  if (!anonymous && (typeof principal !== 'string' || principal === '')) {
    throw new RequestError('"principal" must be a non-empty string or {"type": "Anonymous"}')
  }
  if (typeof action !== 'string' || !action.includes(':')) {
    throw new RequestError('"action" must be a string like "s3:GetObject"')
  }
  if (typeof resource !== 'string' || resource === '') {
    throw new RequestError('"resource" must be a non-empty string (an ARN, or "*")')
  }

  let resourceAccount = req.resourceAccount
  let resourceAccountDefaulted = false
  if (resourceAccount === undefined || resourceAccount === null || resourceAccount === '') {
    resourceAccount = accountOfArn(resource) ?? (anonymous ? undefined : accountOfArn(principal))
    resourceAccountDefaulted = true
    if (!resourceAccount) {
      throw new RequestError(
        '"resourceAccount" is required: neither the resource nor the principal ARN names an account'
      )
    }
  } else if (typeof resourceAccount !== 'string') {
    throw new RequestError('"resourceAccount" must be a string')
  }

  const sim = {
    request: {
      principal: anonymous ? { type: 'Anonymous' } : principal,
      action,
      resource: { resource, accountId: resourceAccount },
      contextVariables: validateContext(req.context)
    },
    identityPolicies: namedPolicies(req.identityPolicies, 'identityPolicies', 'identity'),
    serviceControlPolicies: orgLevels(req.serviceControlPolicies, 'serviceControlPolicies', 'scp'),
    resourceControlPolicies: orgLevels(req.resourceControlPolicies, 'resourceControlPolicies', 'rcp')
  }
  if (req.resourcePolicy !== undefined && req.resourcePolicy !== null) {
    if (!isPlainObject(req.resourcePolicy)) throw new RequestError('"resourcePolicy" must be an object or null')
    sim.resourcePolicy = req.resourcePolicy
  }
  if (req.permissionBoundaryPolicies !== undefined && req.permissionBoundaryPolicies !== null) {
    sim.permissionBoundaryPolicies = namedPolicies(
      req.permissionBoundaryPolicies,
      'permissionBoundaryPolicies',
      'boundary'
    )
  }
  if (req.sessionPolicy !== undefined && req.sessionPolicy !== null) {
    sim.sessionPolicy = req.sessionPolicy
  }
  if (req.additionalSettings !== undefined && req.additionalSettings !== null) {
    if (!isPlainObject(req.additionalSettings)) throw new RequestError('"additionalSettings" must be an object')
    sim.additionalSettings = req.additionalSettings
  }

  let aliased = {}
  if (req.aliasOidcKeys !== false && action.toLowerCase() === WEB_IDENTITY_ACTION) {
    aliased = await aliasWebIdentityKeys(sim)
  }
  return { sim, resourceAccount, resourceAccountDefaulted, aliased }
}

// ---------------------------------------------------------------------------
// Explain
// ---------------------------------------------------------------------------

function statementLabel(s) {
  const sid = s.statement?.sid?.()
  return sid ? sid : `#${s.statement?.index?.() ?? s.explain?.identifier}`
}

function conditionMisses(analysis, keyNames) {
  const out = []
  const visit = (policyType, a, orgIdentifier) => {
    if (!a) return
    for (const s of a.unmatchedStatements ?? []) {
      if (!s.actionMatch || !s.resourceMatch || s.principalMatch === 'NoMatch') continue
      if (s.conditionMatch !== 'NoMatch') continue
      const failed = (s.explain?.conditions ?? []).filter((c) => !c.matches)
      out.push({
        policyType,
        ...(orgIdentifier ? { orgIdentifier } : {}),
        policy: s.policyId,
        statement: statementLabel(s),
        effect: s.statement?.effect?.(),
        failed: failed.map((c) => ({
          operator: c.operator,
          key: keyNames.get(String(c.conditionKeyValue).toLowerCase()) ?? c.conditionKeyValue,
          ...(c.failedBecauseMissing ? { missing: true } : {}),
          ...(c.failedBecauseArray ? { array: true } : {})
        }))
      })
    }
  }
  visit('identity', analysis.identityAnalysis)
  visit('resource', analysis.resourceAnalysis)
  visit('permissionBoundary', analysis.permissionBoundaryAnalysis)
  visit('session', analysis.sessionAnalysis)
  for (const ou of analysis.scpAnalysis?.ouAnalysis ?? []) visit('scp', ou, ou.orgIdentifier)
  for (const ou of analysis.rcpAnalysis?.ouAnalysis ?? []) visit('rcp', ou, ou.orgIdentifier)
  return out
}

function policyResults(analysis) {
  const r = {}
  if (analysis.identityAnalysis) r.identity = analysis.identityAnalysis.result
  if (analysis.resourceAnalysis) r.resource = analysis.resourceAnalysis.result
  if (analysis.permissionBoundaryAnalysis) r.permissionBoundary = analysis.permissionBoundaryAnalysis.result
  if (analysis.sessionAnalysis) r.session = analysis.sessionAnalysis.result
  if (analysis.scpAnalysis?.ouAnalysis?.length) r.scp = analysis.scpAnalysis.result
  if (analysis.rcpAnalysis?.ouAnalysis?.length) r.rcp = analysis.rcpAnalysis.result
  if (analysis.endpointAnalysis) r.vpce = analysis.endpointAnalysis.result
  return r
}

function explainAnalysis(analysis, keyNames) {
  const e = {
    result: analysis.result,
    sameAccount: analysis.sameAccount,
    policies: policyResults(analysis)
  }
  if (analysis.blockedBy?.length) e.blockedBy = analysis.blockedBy
  const grants = analysis.result === 'Allowed' ? getGrantReasons(analysis) : []
  if (grants.length) e.grants = grants
  const denials = analysis.result !== 'Allowed' ? getDenialReasons(analysis) : []
  if (denials.length) e.denials = denials
  const misses = conditionMisses(analysis, keyNames)
  if (misses.length) e.conditionMisses = misses
  return e
}

// ---------------------------------------------------------------------------
// Main loop
// ---------------------------------------------------------------------------

export async function simulateRequest(req) {
  const id = isPlainObject(req) && 'id' in req ? req.id : null
  try {
    const { sim, resourceAccount, resourceAccountDefaulted, aliased } = await buildSimulation(req)
    const response = await runSimulation(sim, { simulationMode: 'Strict' })
    if (response.resultType === 'error') {
      return { id, error: response.errors?.message ?? 'simulation.error', details: response.errors }
    }
    // Report condition keys under the caller's names, not the aliases.
    const keyNames = new Map(Object.entries(aliased).map(([orig, alias]) => [alias.toLowerCase(), orig]))
    const common = {
      resultType: response.resultType,
      resourceAccount,
      ...(resourceAccountDefaulted ? { resourceAccountDefaulted: true } : {}),
      ...(Object.keys(aliased).length ? { aliasedContextKeys: aliased } : {})
    }
    if (response.resultType === 'single') {
      const ignored = response.result.ignoredContextKeys ?? []
      return {
        id,
        result: response.overallResult,
        explain: {
          ...common,
          ...explainAnalysis(response.result.analysis, keyNames),
          ...(ignored.length ? { ignoredContextKeys: ignored } : {})
        }
      }
    }
    return {
      id,
      result: response.overallResult,
      explain: {
        ...common,
        patterns: response.results.map((r) => ({
          resourceType: r.resourceType,
          resourcePattern: r.resourcePattern,
          ...explainAnalysis(r.analysis, keyNames),
          ...(r.ignoredContextKeys?.length ? { ignoredContextKeys: r.ignoredContextKeys } : {})
        }))
      }
    }
  } catch (err) {
    if (err instanceof RequestError) {
      return { id, error: err.message, ...(err.details ? { details: err.details } : {}) }
    }
    return { id, error: `exception: ${err?.message ?? String(err)}` }
  }
}

async function main() {
  process.stdout.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0)
    throw err
  })
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of rl) {
    if (line.trim() === '') continue
    let answer
    try {
      let req
      try {
        req = JSON.parse(line)
      } catch (err) {
        answer = { id: null, error: `invalid JSON: ${err.message}` }
      }
      if (!answer) answer = await simulateRequest(req)
    } catch (err) {
      answer = { id: null, error: `exception: ${err?.message ?? String(err)}` }
    }
    let text
    try {
      text = JSON.stringify(answer)
    } catch (err) {
      text = JSON.stringify({ id: answer?.id ?? null, error: `unserialisable answer: ${err.message}` })
    }
    process.stdout.write(text + '\n')
  }
}

function invokedDirectly() {
  if (!process.argv[1]) return false
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}
if (invokedDirectly()) {
  main().catch((err) => {
    process.stderr.write(`simulate.mjs: fatal: ${err?.stack ?? err}\n`)
    process.exit(2)
  })
}
