//! Rust bindings for the compiled contracts in `contracts/out/` (built by `contracts/build.sh`).

#![allow(missing_docs, clippy::too_many_arguments)]

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    TestToken,
    "../contracts/out/TestToken.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    Halo2VerifierStandIn,
    "../contracts/out/Halo2VerifierStandIn.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    PrecompileProbe,
    "../contracts/out/PrecompileProbe.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    L1FeeOracle,
    "../contracts/out/L1FeeOracle.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    L1FeeVault,
    "../contracts/out/L1FeeVault.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    BridgedERC20,
    "../contracts/out/BridgedERC20.json"
);
