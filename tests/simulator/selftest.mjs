#!/usr/bin/env node
// Self-test of simulate.mjs: runs it as a child process (exactly as the Rust
// differential test does), feeds it JSON Lines and checks each answer against
// the decision AWS documents for that case.
//
//   node selftest.mjs        -> prints one line per case, then "N passed, M failed";
//                               exit code 0 only if every case passed.
//
// Expected values: "Allowed", "ExplicitlyDenied", "ImplicitlyDenied", or
// "denied" (either kind of deny, where AWS documents only "access denied").

import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

const V = '2012-10-17'
const policy = (...Statement) => ({ Version: V, Statement })

const ROLE_ACCT = '123456789012'
const CALLER_ACCT = '999999999999'
const ROLE = `arn:aws:iam::${ROLE_ACCT}:role/target`
const CALLER = `arn:aws:iam::${CALLER_ACCT}:role/caller`
const callerMayAssume = policy({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE })

/** A cross-account sts:AssumeRole of ROLE by CALLER. */
function assume(trust, context = {}, extra = {}) {
  return {
    principal: CALLER,
    action: 'sts:AssumeRole',
    resource: ROLE,
    resourceAccount: ROLE_ACCT,
    context: { 'aws:PrincipalAccount': CALLER_ACCT, 'aws:PrincipalArn': CALLER, ...context },
    identityPolicies: [callerMayAssume],
    resourcePolicy: trust,
    ...extra
  }
}

const externalIdTrust = policy({
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${CALLER_ACCT}:root` },
  Action: 'sts:AssumeRole',
  Condition: { StringEquals: { 'sts:ExternalId': 'abc' } }
})

const externalIdIfExistsTrust = policy({
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${CALLER_ACCT}:root` },
  Action: 'sts:AssumeRole',
  Condition: { StringEqualsIfExists: { 'sts:ExternalId': 'abc' } }
})

const orgTrust = policy({
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Action: 'sts:AssumeRole',
  Condition: { StringLike: { 'aws:PrincipalOrgID': 'o-*' } }
})

const FOREIGN = 'arn:aws:iam::444455556666:role/foreign'
function foreignAssume(context) {
  return {
    principal: FOREIGN,
    action: 'sts:AssumeRole',
    resource: ROLE,
    context: { 'aws:PrincipalAccount': '444455556666', 'aws:PrincipalArn': FOREIGN, ...context },
    identityPolicies: [policy({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' })],
    resourcePolicy: orgTrust
  }
}

const S3_USER = `arn:aws:iam::${ROLE_ACCT}:role/app`
function s3Get(resource, identityPolicies, extra = {}) {
  return {
    principal: S3_USER,
    action: 's3:GetObject',
    resource,
    resourceAccount: ROLE_ACCT,
    context: { 'aws:PrincipalAccount': ROLE_ACCT, 'aws:PrincipalArn': S3_USER },
    identityPolicies,
    resourcePolicy: null,
    ...extra
  }
}

const EKS_HOST = 'oidc.eks.us-east-1.amazonaws.com/id/ABC'
const EKS_PROVIDER = `arn:aws:iam::${ROLE_ACCT}:oidc-provider/${EKS_HOST}`
const eksTrust = policy({
  Effect: 'Allow',
  Principal: { Federated: EKS_PROVIDER },
  Action: 'sts:AssumeRoleWithWebIdentity',
  Condition: {
    StringEquals: {
      [`${EKS_HOST}:sub`]: 'system:serviceaccount:ns:sa',
      [`${EKS_HOST}:aud`]: 'sts.amazonaws.com'
    }
  }
})
function eks(context, extra = {}) {
  return {
    principal: EKS_PROVIDER,
    action: 'sts:AssumeRoleWithWebIdentity',
    resource: ROLE,
    context,
    identityPolicies: [],
    resourcePolicy: eksTrust,
    ...extra
  }
}

const GH_PROVIDER = `arn:aws:iam::${ROLE_ACCT}:oidc-provider/token.actions.githubusercontent.com`
const ghTrust = policy({
  Effect: 'Allow',
  Principal: { Federated: GH_PROVIDER },
  Action: 'sts:AssumeRoleWithWebIdentity',
  Condition: {
    StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
    StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:my-org/my-repo:*' }
  }
})
function gh(sub) {
  return {
    principal: GH_PROVIDER,
    action: 'sts:AssumeRoleWithWebIdentity',
    resource: ROLE,
    context: {
      'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
      'token.actions.githubusercontent.com:sub': sub
    },
    resourcePolicy: ghTrust
  }
}

const fullAwsAccess = { name: 'FullAWSAccess', policy: policy({ Effect: 'Allow', Action: '*', Resource: '*' }) }
const allowAllS3 = policy({ Effect: 'Allow', Action: 's3:*', Resource: '*' })

function servicePrincipal(principal) {
  return {
    principal,
    action: 'sts:AssumeRole',
    resource: ROLE,
    resourcePolicy: policy({
      Effect: 'Allow',
      Principal: { Service: 'glue.amazonaws.com' },
      Action: 'sts:AssumeRole'
    })
  }
}

// [name, request, expected]
const cases = [
  // (a) ExternalId in a cross-account trust policy
  ['a1 ExternalId abc -> Allowed', assume(externalIdTrust, { 'sts:ExternalId': 'abc' }), 'Allowed'],
  ['a2 ExternalId absent -> denied', assume(externalIdTrust), 'ImplicitlyDenied'],
  ['a3 ExternalId xyz -> denied', assume(externalIdTrust, { 'sts:ExternalId': 'xyz' }), 'ImplicitlyDenied'],
  [
    'a4 cross-account needs the caller identity Allow too',
    assume(externalIdTrust, { 'sts:ExternalId': 'abc' }, { identityPolicies: [] }),
    'ImplicitlyDenied'
  ],
  // (b) ...IfExists with the key absent
  ['b1 StringEqualsIfExists, key absent -> Allowed', assume(externalIdIfExistsTrust), 'Allowed'],
  [
    'b2 StringEqualsIfExists, key xyz -> denied',
    assume(externalIdIfExistsTrust, { 'sts:ExternalId': 'xyz' }),
    'ImplicitlyDenied'
  ],
  // (c) Principal "*" limited by aws:PrincipalOrgID
  ['c1 PrincipalOrgID o-abcdefghij -> Allowed', foreignAssume({ 'aws:PrincipalOrgID': 'o-abcdefghij' }), 'Allowed'],
  ['c2 PrincipalOrgID absent -> denied', foreignAssume({}), 'ImplicitlyDenied'],
  [
    'c3 context key spelling is case-insensitive (aws:principalorgid)',
    foreignAssume({ 'aws:principalorgid': 'o-abcdefghij' }),
    'Allowed'
  ],
  // (d) "?" wildcard in Resource
  [
    'd1 data?/* matches data1/k',
    s3Get('arn:aws:s3:::data1/k', [policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::data?/*' })]),
    'Allowed'
  ],
  [
    'd2 data?/* does not match data12/k',
    s3Get('arn:aws:s3:::data12/k', [policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::data?/*' })]),
    'ImplicitlyDenied'
  ],
  // (e) permissions boundary
  [
    'e1 boundary excludes two/k',
    s3Get('arn:aws:s3:::two/k', [policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })], {
      permissionBoundaryPolicies: [policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::one/*' })]
    }),
    'ImplicitlyDenied'
  ],
  [
    'e2 boundary includes one/k',
    s3Get('arn:aws:s3:::one/k', [policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })], {
      permissionBoundaryPolicies: [policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::one/*' })]
    }),
    'Allowed'
  ],
  // (f) OIDC web identity (EKS IRSA), provider ARN as principal
  [
    'f1 EKS sub+aud match -> Allowed',
    eks({ [`${EKS_HOST}:sub`]: 'system:serviceaccount:ns:sa', [`${EKS_HOST}:aud`]: 'sts.amazonaws.com' }),
    'Allowed'
  ],
  [
    'f2 EKS other sub -> denied',
    eks({ [`${EKS_HOST}:sub`]: 'system:serviceaccount:ns:other', [`${EKS_HOST}:aud`]: 'sts.amazonaws.com' }),
    'ImplicitlyDenied'
  ],
  ['f3 EKS sub absent -> denied', eks({ [`${EKS_HOST}:aud`]: 'sts.amazonaws.com' }), 'ImplicitlyDenied'],
  [
    'f4 EKS other provider ARN as principal -> denied',
    eks(
      { [`${EKS_HOST}:sub`]: 'system:serviceaccount:ns:sa', [`${EKS_HOST}:aud`]: 'sts.amazonaws.com' },
      { principal: `arn:aws:iam::${ROLE_ACCT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/XYZ` }
    ),
    'ImplicitlyDenied'
  ],
  [
    'f5 [divergence] aliasOidcKeys:false -> simulator drops the EKS keys -> ImplicitlyDenied',
    eks(
      { [`${EKS_HOST}:sub`]: 'system:serviceaccount:ns:sa', [`${EKS_HOST}:aud`]: 'sts.amazonaws.com' },
      { aliasOidcKeys: false }
    ),
    'ImplicitlyDenied'
  ],
  ['f6 GitHub Actions sub matches repo:my-org/my-repo:* -> Allowed', gh('repo:my-org/my-repo:ref:refs/heads/main'), 'Allowed'],
  ['f7 GitHub Actions other repo -> denied', gh('repo:evil/my-repo:ref:refs/heads/main'), 'ImplicitlyDenied'],
  // (g) SCP explicit deny wins over identity allow
  [
    'g1 SCP Deny beats identity Allow',
    s3Get('arn:aws:s3:::one/k', [allowAllS3], {
      serviceControlPolicies: [
        { orgIdentifier: 'r-root', policies: [fullAwsAccess] },
        {
          orgIdentifier: ROLE_ACCT,
          policies: [fullAwsAccess, { name: 'DenyGet', policy: policy({ Effect: 'Deny', Action: 's3:GetObject', Resource: '*' }) }]
        }
      ]
    }),
    'ExplicitlyDenied'
  ],
  [
    'g2 SCP levels with FullAWSAccess only -> Allowed',
    s3Get('arn:aws:s3:::one/k', [allowAllS3], {
      serviceControlPolicies: [
        { orgIdentifier: 'r-root', policies: [fullAwsAccess] },
        [fullAwsAccess]
      ]
    }),
    'Allowed'
  ],
  [
    'g3 SCP level without any Allow -> denied',
    s3Get('arn:aws:s3:::one/k', [allowAllS3], {
      serviceControlPolicies: [
        { orgIdentifier: 'r-root', policies: [fullAwsAccess] },
        { orgIdentifier: 'ou-x', policies: [{ name: 'OnlyEc2', policy: policy({ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }) }] }
      ]
    }),
    'ImplicitlyDenied'
  ],
  [
    'g4 RCP Deny (insecure transport) beats identity Allow',
    s3Get('arn:aws:s3:::one/k', [allowAllS3], {
      context: { 'aws:PrincipalAccount': ROLE_ACCT, 'aws:SecureTransport': 'false' },
      resourceControlPolicies: [
        {
          orgIdentifier: 'r-root',
          policies: [
            {
              name: 'EnforceTLS',
              policy: policy({
                Effect: 'Deny',
                Principal: '*',
                Action: 's3:*',
                Resource: '*',
                Condition: { BoolIfExists: { 'aws:SecureTransport': 'false' } }
              })
            }
          ]
        }
      ]
    }),
    'ExplicitlyDenied'
  ],
  // (h) NotResource
  [
    'h1 NotResource Allow covers other/k',
    s3Get('arn:aws:s3:::other/k', [policy({ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secret/*' })]),
    'Allowed'
  ],
  [
    'h2 NotResource Allow excludes secret/k',
    s3Get('arn:aws:s3:::secret/k', [policy({ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secret/*' })]),
    'ImplicitlyDenied'
  ],
  // extras
  ['x1 service principal glue.amazonaws.com trusted -> Allowed', servicePrincipal('glue.amazonaws.com'), 'Allowed'],
  ['x2 service principal lambda.amazonaws.com not trusted -> denied', servicePrincipal('lambda.amazonaws.com'), 'ImplicitlyDenied'],
  [
    'x3 trust Deny beats trust Allow',
    assume(
      policy(
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CALLER_ACCT}:root` }, Action: 'sts:AssumeRole' },
        { Effect: 'Deny', Principal: { AWS: CALLER }, Action: 'sts:AssumeRole' }
      )
    ),
    'ExplicitlyDenied'
  ],
  [
    'x4 aws:PrincipalArn is NOT derived from the principal (absent -> ArnLike fails)',
    { ...foreignAssume({}), context: {}, resourcePolicy: policy({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole', Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::444455556666:role/*' } } }) },
    'ImplicitlyDenied'
  ],
  [
    'x5 aws:PrincipalArn passed in context -> Allowed',
    { ...foreignAssume({}), resourcePolicy: policy({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole', Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::444455556666:role/*' } } }) },
    'Allowed'
  ],
  [
    'x6 role ARN principal in trust policy matches the role caller',
    assume(policy({ Effect: 'Allow', Principal: { AWS: CALLER }, Action: 'sts:AssumeRole' })),
    'Allowed'
  ],
  [
    'x7 same-account trust policy naming the account root still needs the identity Allow',
    {
      principal: `arn:aws:iam::${ROLE_ACCT}:role/local`,
      action: 'sts:AssumeRole',
      resource: ROLE,
      resourcePolicy: policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ROLE_ACCT}:root` }, Action: 'sts:AssumeRole' })
    },
    'ImplicitlyDenied'
  ]
]

function matches(expected, got) {
  if (expected === 'denied') return got === 'ImplicitlyDenied' || got === 'ExplicitlyDenied'
  return expected === got
}

async function main() {
  const child = spawn(process.execPath, [join(here, 'simulate.mjs')], {
    cwd: here,
    stdio: ['pipe', 'pipe', 'inherit']
  })
  const answers = createInterface({ input: child.stdout, crlfDelay: Infinity })[Symbol.asyncIterator]()
  const next = async () => {
    const { value, done } = await answers.next()
    if (done) throw new Error('simulate.mjs closed its output early')
    return JSON.parse(value)
  }

  let passed = 0
  let failed = 0
  const report = (ok, name, detail) => {
    if (ok) passed++
    else failed++
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `  ${detail}` : ''}`)
  }

  // Protocol checks: a bad line is answered and the process keeps going; order is preserved.
  child.stdin.write('this is not json\n')
  const bad = await next()
  report(typeof bad.error === 'string' && bad.id === null, 'p1 invalid JSON line -> {"error"}', bad.error)
  child.stdin.write(JSON.stringify({ id: 'p2', principal: CALLER, action: 'nosuch:Action', resource: '*' }) + '\n')
  const rejected = await next()
  report(rejected.id === 'p2' && typeof rejected.error === 'string', 'p2 rejected request -> {"id","error"}', rejected.error)

  // All cases in one batch, answers must come back in order.
  for (const [i, [, req]] of cases.entries()) child.stdin.write(JSON.stringify({ id: `case-${i}`, ...req }) + '\n')
  for (const [i, [name, , expected]] of cases.entries()) {
    const ans = await next()
    if (ans.id !== `case-${i}`) {
      report(false, name, `answer out of order: ${JSON.stringify(ans.id)}`)
      continue
    }
    if (ans.error) {
      report(false, name, `error: ${ans.error} ${JSON.stringify(ans.details ?? '')}`)
      continue
    }
    const ok = matches(expected, ans.result)
    report(ok, name, ok ? '' : `expected ${expected}, got ${ans.result}: ${JSON.stringify(ans.explain)}`)
  }
  child.stdin.end()
  const code = await new Promise((resolve) => child.on('close', resolve))
  report(code === 0, 'p3 simulate.mjs exits 0 at end of input', `exit ${code}`)

  console.log(`${passed} passed, ${failed} failed`)
  process.exitCode = failed === 0 ? 0 : 1
}

main().catch((err) => {
  console.error(err)
  console.log('0 passed, 1 failed')
  process.exitCode = 1
})
