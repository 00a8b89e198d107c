//! Privilege escalation: the published ways in which a principal raises its own or another
//! principal's privileges in AWS, as data, and which of them a role's policies make. Each
//! step of a path is one action decided by [`Reach::action`], the evaluation every permission
//! rule uses (Deny, conditions, resource scoping, the permissions boundary); a step that passes
//! a role is decided with `iam:PassedToService` set to the service the path passes it to.
//!
//! Sources, for the facts (no code is taken from them):
//! - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation" (Spencer
//!   Gietzen, 2018), <https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/>:
//!   the 21 methods, numbered below as "Rhino N".
//! - Cloudsplaining (Salesforce), `cloudsplaining/shared/constants.py`,
//!   `PRIVILEGE_ESCALATION_METHODS`, <https://github.com/salesforce/cloudsplaining>.
//! - PMapper (NCC Group), `principalmapper/graphing/*_edges.py`, the edges between principals
//!   it finds (EC2, Lambda, CloudFormation, CodeBuild, SageMaker, ECS, Auto Scaling, SSM, STS),
//!   <https://github.com/nccgroup/PMapper>.
//! - The IAM User Guide, "Grant a user permissions to pass a role to an AWS service"
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html>): "To pass
//!   a role (and its permissions) to an AWS service, a user must have permissions to pass the
//!   role to the service", and `iam:PassedToService` limits the service.
//!
//! PURE.

use super::condition::KeyState;
use super::eval::Scenario;
use super::reach::{Granted, Reach};
use super::service_reference;

/// Which resources a step must reach to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Any resource the action applies to, the role itself included.
    Any,
    /// A resource other than the role itself (passing or assuming itself gains nothing).
    NotSelf,
    /// A resource nobody named (a wildcard): a named one is the connector's own.
    Unnamed,
}

/// One action a path needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// `iam:PassRole`
    pub action: &'static str,
    /// For `iam:PassRole`: the service the role is passed to (`iam:PassedToService`).
    pub passed_to: Option<&'static str>,
    /// The resource type the scope applies to (the action's first required type when `None`).
    pub target: Option<&'static str>,
    pub scope: Scope,
}

/// A published escalation path: every step together makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path {
    /// Stable, kebab-case: `create-policy-version`.
    pub id: &'static str,
    /// What the holder can do, in one sentence.
    pub summary: &'static str,
    pub steps: &'static [Step],
    /// Where the path is published.
    pub source: &'static str,
}

const RHINO: &str =
    "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/";
const PMAPPER: &str = "https://github.com/nccgroup/PMapper (principalmapper/graphing)";

const fn any(action: &'static str) -> Step {
    Step {
        action,
        passed_to: None,
        target: None,
        scope: Scope::Any,
    }
}

const fn unnamed(action: &'static str, target: &'static str) -> Step {
    Step {
        action,
        passed_to: None,
        target: Some(target),
        scope: Scope::Unnamed,
    }
}

/// `iam:PassRole` of a role other than the connector's own, to `service`.
const fn pass_to(service: &'static str) -> Step {
    Step {
        action: "iam:PassRole",
        passed_to: Some(service),
        target: Some("role"),
        scope: Scope::NotSelf,
    }
}

/// The paths, in the order of the sources.
pub const PATHS: &[Path] = &[
    // IAM permissions on other principals
    Path {
        id: "create-policy-version",
        summary: "write a new default version of a managed policy (attached to itself or others) with any permissions",
        steps: &[any("iam:CreatePolicyVersion")],
        source: RHINO, // Rhino 1
    },
    Path {
        id: "set-default-policy-version",
        summary: "make an older, broader version of a managed policy the default",
        steps: &[any("iam:SetDefaultPolicyVersion")],
        source: RHINO, // Rhino 2
    },
    Path {
        id: "create-access-key",
        summary: "create access keys for an IAM user and act as that user",
        steps: &[any("iam:CreateAccessKey")],
        source: RHINO, // Rhino 4
    },
    Path {
        id: "create-login-profile",
        summary: "give an IAM user a console password and sign in as that user",
        steps: &[any("iam:CreateLoginProfile")],
        source: RHINO, // Rhino 5
    },
    Path {
        id: "update-login-profile",
        summary: "change an IAM user's console password and sign in as that user",
        steps: &[any("iam:UpdateLoginProfile")],
        source: RHINO, // Rhino 6
    },
    Path {
        id: "attach-user-policy",
        summary: "attach any managed policy (AdministratorAccess) to an IAM user",
        steps: &[any("iam:AttachUserPolicy")],
        source: RHINO, // Rhino 7
    },
    Path {
        id: "attach-group-policy",
        summary: "attach any managed policy to an IAM group",
        steps: &[any("iam:AttachGroupPolicy")],
        source: RHINO, // Rhino 8
    },
    Path {
        id: "attach-role-policy",
        summary: "attach any managed policy to a role, the connector's own included",
        steps: &[any("iam:AttachRolePolicy")],
        source: RHINO, // Rhino 9
    },
    Path {
        id: "put-user-policy",
        summary: "write an inline policy with any permissions into an IAM user",
        steps: &[any("iam:PutUserPolicy")],
        source: RHINO, // Rhino 10
    },
    Path {
        id: "put-group-policy",
        summary: "write an inline policy with any permissions into an IAM group",
        steps: &[any("iam:PutGroupPolicy")],
        source: RHINO, // Rhino 11
    },
    Path {
        id: "put-role-policy",
        summary: "write an inline policy with any permissions into a role, the connector's own included",
        steps: &[any("iam:PutRolePolicy")],
        source: RHINO, // Rhino 12
    },
    Path {
        id: "add-user-to-group",
        summary: "add an IAM user to a group with more permissions",
        steps: &[any("iam:AddUserToGroup")],
        source: RHINO, // Rhino 13
    },
    Path {
        // the vendor assumes the role from its own account, where its identity policies are its own
        id: "update-assume-role-policy",
        summary: "rewrite a role's trust policy to let the holder (or anyone) assume it",
        steps: &[any("iam:UpdateAssumeRolePolicy")],
        source: RHINO, // Rhino 14
    },
    Path {
        id: "delete-role-permissions-boundary",
        summary: "remove a role's permissions boundary, the connector's own included",
        steps: &[any("iam:DeleteRolePermissionsBoundary")],
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
    },
    Path {
        id: "put-role-permissions-boundary",
        summary: "replace a role's permissions boundary with a broader one",
        steps: &[any("iam:PutRolePermissionsBoundary")],
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
    },
    Path {
        id: "assume-any-role",
        summary: "assume any role whose trust policy lets the account in",
        steps: &[unnamed("sts:AssumeRole", "role")],
        source: PMAPPER, // sts_edges.py
    },
    // iam:PassRole with a service that runs code under the passed role
    Path {
        id: "pass-role-ec2",
        summary: "start an EC2 instance with another role's instance profile and read its credentials",
        steps: &[pass_to("ec2.amazonaws.com"), any("ec2:RunInstances")],
        source: RHINO, // Rhino 3
    },
    Path {
        id: "pass-role-lambda-invoke",
        summary: "create a Lambda function with another role and invoke it",
        steps: &[
            pass_to("lambda.amazonaws.com"),
            any("lambda:CreateFunction"),
            any("lambda:InvokeFunction"),
        ],
        source: RHINO, // Rhino 15
    },
    Path {
        id: "pass-role-lambda-event-source",
        summary: "create a Lambda function with another role and trigger it from an event source",
        steps: &[
            pass_to("lambda.amazonaws.com"),
            any("lambda:CreateFunction"),
            any("lambda:CreateEventSourceMapping"),
        ],
        source: RHINO, // Rhino 16
    },
    Path {
        id: "pass-role-glue-dev-endpoint",
        summary: "create a Glue development endpoint with another role and log in to it",
        steps: &[pass_to("glue.amazonaws.com"), any("glue:CreateDevEndpoint")],
        source: RHINO, // Rhino 17
    },
    Path {
        id: "pass-role-glue-job",
        summary: "create and run a Glue job with another role",
        steps: &[
            pass_to("glue.amazonaws.com"),
            any("glue:CreateJob"),
            any("glue:StartJobRun"),
        ],
        source: "https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html",
    },
    Path {
        id: "pass-role-cloudformation",
        summary: "create a CloudFormation stack that runs with another role and creates anything",
        steps: &[
            pass_to("cloudformation.amazonaws.com"),
            any("cloudformation:CreateStack"),
        ],
        source: RHINO, // Rhino 19
    },
    Path {
        id: "pass-role-data-pipeline",
        summary: "create a Data Pipeline that runs commands with another role",
        steps: &[
            pass_to("datapipeline.amazonaws.com"),
            any("datapipeline:CreatePipeline"),
            any("datapipeline:PutPipelineDefinition"),
        ],
        source: RHINO, // Rhino 20
    },
    Path {
        id: "pass-role-codebuild",
        summary: "create and start a CodeBuild project that runs with another role",
        steps: &[
            pass_to("codebuild.amazonaws.com"),
            any("codebuild:CreateProject"),
            any("codebuild:StartBuild"),
        ],
        source: PMAPPER, // codebuild_edges.py
    },
    Path {
        id: "pass-role-sagemaker-notebook",
        summary: "create a SageMaker notebook instance with another role and open it",
        steps: &[
            pass_to("sagemaker.amazonaws.com"),
            any("sagemaker:CreateNotebookInstance"),
            any("sagemaker:CreatePresignedNotebookInstanceUrl"),
        ],
        source: PMAPPER, // sagemaker_edges.py
    },
    Path {
        id: "pass-role-sagemaker-training-job",
        summary: "run a SageMaker training job (any container) with another role",
        steps: &[
            pass_to("sagemaker.amazonaws.com"),
            any("sagemaker:CreateTrainingJob"),
        ],
        source: PMAPPER, // sagemaker_edges.py
    },
    Path {
        id: "pass-role-sagemaker-processing-job",
        summary: "run a SageMaker processing job (any container) with another role",
        steps: &[
            pass_to("sagemaker.amazonaws.com"),
            any("sagemaker:CreateProcessingJob"),
        ],
        source: PMAPPER, // sagemaker_edges.py
    },
    Path {
        id: "pass-role-ecs-task",
        summary: "register an ECS task definition with another role as task role and run it",
        steps: &[
            pass_to("ecs-tasks.amazonaws.com"),
            any("ecs:RegisterTaskDefinition"),
            any("ecs:RunTask"),
        ],
        source: PMAPPER, // ecs_edges.py
    },
    Path {
        id: "pass-role-autoscaling",
        summary: "launch EC2 instances with another role's instance profile through an Auto Scaling group",
        steps: &[
            pass_to("ec2.amazonaws.com"),
            any("autoscaling:CreateLaunchConfiguration"),
            any("autoscaling:CreateAutoScalingGroup"),
        ],
        source: PMAPPER, // autoscaling_edges.py
    },
    // changing what already runs under a role
    Path {
        id: "update-glue-dev-endpoint",
        summary: "add an SSH key to an existing Glue development endpoint and use its role",
        steps: &[any("glue:UpdateDevEndpoint")],
        source: RHINO, // Rhino 18
    },
    Path {
        id: "update-lambda-code",
        summary: "replace the code of Lambda functions that are not the connector's and run it with their roles",
        steps: &[unnamed("lambda:UpdateFunctionCode", "function")],
        source: RHINO, // Rhino 21
    },
    Path {
        id: "ssm-send-command",
        summary: "run commands on EC2 instances that are not the connector's, with their roles",
        steps: &[unnamed("ssm:SendCommand", "instance")],
        source: PMAPPER, // ssm_edges.py
    },
];

/// A step the role may take: the step, and what the evaluation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenStep {
    pub step: Step,
    pub granted: Granted,
}

/// A path the role's policies make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: &'static Path,
    pub steps: Vec<TakenStep>,
}

/// Every path of [`PATHS`] whose steps the role may all take.
pub fn paths(reach: &Reach<'_>) -> Vec<Found> {
    // cheap first: a role whose policies never name one of a path's actions takes no step of
    // it (no table look-up). The same action starts many paths (`iam:PassRole`): the
    // documents are asked once per action.
    let mut named: Vec<(&'static str, bool)> = Vec::new();
    let mut names = |action: &'static str| {
        if let Some((_, known)) = named.iter().find(|(a, _)| *a == action) {
            return *known;
        }
        let known = reach.permissions.may_name(action);
        named.push((action, known));
        known
    };
    PATHS
        .iter()
        .filter(|path| path.steps.iter().all(|s| names(s.action)))
        .filter_map(|path| {
            let steps: Option<Vec<TakenStep>> = path.steps.iter().map(|s| take(reach, s)).collect();
            steps.map(|steps| Found { path, steps })
        })
        .collect()
}

/// A step of a path whose action the role's policies name (see [`paths`]).
fn take(reach: &Reach<'_>, step: &Step) -> Option<TakenStep> {
    let (service, action) = service_reference::action(step.action)?;
    let scenario = match step.passed_to {
        Some(to) => {
            Scenario::new().with("iam:PassedToService", KeyState::Known(vec![to.to_string()]))
        }
        None => Scenario::new(),
    };
    let mut granted = reach.action(service, action, &scenario, step.target)?;
    match step.scope {
        Scope::Any => {}
        Scope::NotSelf => granted.resources.retain(|w| !reach.is_self(w)),
        Scope::Unnamed => granted.resources.retain(|w| !w.named),
    }
    if step.scope != Scope::Any && granted.resources.is_empty() {
        return None;
    }
    Some(TakenStep {
        step: *step,
        granted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use crate::policy::s3::Permissions;
    use std::collections::BTreeSet;

    const ACCOUNT: &str = "123456789012";
    const ME: &str = "arn:aws:iam::123456789012:role/connector";

    fn found(docs: &[&str]) -> Vec<&'static str> {
        let p = Permissions::new(docs.iter().map(|d| Policy::parse(d).unwrap()).collect());
        paths(&Reach::new(&p, ACCOUNT, ME))
            .iter()
            .map(|f| f.path.id)
            .collect()
    }

    fn allow(actions: &[&str]) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{},"Resource":"*"}}]}}"#,
            serde_json::to_string(actions).unwrap()
        )
    }

    #[test]
    fn the_table_is_sound() {
        let mut ids = BTreeSet::new();
        for path in PATHS {
            assert!(ids.insert(path.id), "{} twice", path.id);
            assert!(path.source.starts_with("https://"), "{}", path.id);
            for step in path.steps {
                let (service, action) =
                    service_reference::action(step.action).unwrap_or_else(|| {
                        panic!("{}: {} is not in the reference", path.id, step.action)
                    });
                if let Some(t) = step.target {
                    assert!(
                        action.resources.iter().any(|r| service
                            .resource_type(r.index)
                            .is_some_and(|rt| rt.name == t)),
                        "{}: {} has no resource type {t}",
                        path.id,
                        step.action
                    );
                }
            }
        }
    }

    /// Every path is found with exactly its actions on `*`, and a multi-step path is not
    /// found when any one of its steps is missing.
    #[test]
    fn every_path_and_every_missing_step() {
        for path in PATHS {
            let actions: Vec<&str> = path.steps.iter().map(|s| s.action).collect();
            let got = found(&[&allow(&actions)]);
            assert!(got.contains(&path.id), "{}: {got:?}", path.id);
            if actions.len() > 1 {
                for i in 0..actions.len() {
                    let mut fewer = actions.clone();
                    fewer.remove(i);
                    let got = found(&[&allow(&fewer)]);
                    assert!(
                        !got.contains(&path.id),
                        "{} without {}",
                        path.id,
                        actions[i]
                    );
                }
            }
        }
    }

    #[test]
    fn not_action_everything_but_iam_still_escalates() {
        let got = found(&[
            r#"{"Statement":{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}}"#,
        ]);
        assert!(!got.contains(&"pass-role-ec2"), "{got:?}");
        assert!(got.contains(&"assume-any-role"), "{got:?}");
        assert!(got.contains(&"update-lambda-code"), "{got:?}");
        assert!(!got.contains(&"create-policy-version"), "{got:?}");
    }

    #[test]
    fn counter_cases_stay_silent() {
        for docs in [
            // scoped S3 and KMS on one key
            vec![
                r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::acme/*"},
                  {"Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}"#,
            ],
            // read-only Glue catalog, iam:GetRole, sts:GetCallerIdentity
            vec![
                r#"{"Statement":[{"Effect":"Allow","Action":["glue:GetDatabase*","glue:GetTable*","glue:GetPartition*"],"Resource":"*"},
                  {"Effect":"Allow","Action":["iam:GetRole","sts:GetCallerIdentity"],"Resource":"*"}]}"#,
            ],
            // PassRole only to a service that runs nothing, with the actions of every path
            vec![
                r#"{"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"s3.amazonaws.com"}}},
                  {"Effect":"Allow","Action":["ec2:RunInstances","lambda:CreateFunction","lambda:InvokeFunction","glue:CreateDevEndpoint","cloudformation:CreateStack"],"Resource":"*"}]}"#,
            ],
            // the connector's own function and its own role
            vec![
                r#"{"Statement":[{"Effect":"Allow","Action":"lambda:UpdateFunctionCode","Resource":"arn:aws:lambda:us-east-1:123456789012:function:connector-sync"},
                  {"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/connector"},
                  {"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*"},
                  {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/connector-reader"}]}"#,
            ],
            // a Deny of IAM writes
            vec![
                r#"{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},{"Effect":"Deny","Action":["iam:Create*","iam:Put*","iam:Attach*","iam:Update*","iam:Set*","iam:Add*","iam:Delete*","iam:PassRole"],"Resource":"*"}]}"#,
            ],
        ] {
            assert_eq!(found(&docs), Vec::<&str>::new(), "{docs:?}");
        }
    }

    #[test]
    fn pass_role_to_the_path_s_service_counts() {
        let got = found(&[
            r#"{"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/etl-*","Condition":{"StringEquals":{"iam:PassedToService":"glue.amazonaws.com"}}},
              {"Effect":"Allow","Action":"glue:*","Resource":"*"}]}"#,
        ]);
        assert!(got.contains(&"pass-role-glue-job"), "{got:?}");
        assert!(got.contains(&"pass-role-glue-dev-endpoint"), "{got:?}");
        assert!(!got.contains(&"pass-role-ec2"), "{got:?}");
    }
}
