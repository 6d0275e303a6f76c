//! Generated code for the `bashu.v1` protobuf package: log objects, record bodies and the
//! gRPC services (`Exchange`, `County`, `Query`, `Admin`). Source of truth: `proto/bashu/v1/`.
#![allow(clippy::all, clippy::pedantic, missing_docs, unreachable_pub)]

pub mod v1 {
    tonic::include_proto!("bashu.v1");
}
