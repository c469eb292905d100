//! scratch
#[cfg(test)]
mod t {
    use serde::Deserialize;
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct A {
        rpc: R,
        #[serde(default)]
        alloc: std::collections::BTreeMap<alloy_primitives::Address, R>,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct R {
        listen: u64,
        #[serde(default)]
        other: u64,
    }
    fn go(s: &str) {
        let t = toml::de::DeTable::parse(s).unwrap();
        let de = toml::de::Deserializer::from(t);
        let r: Result<A, _> = serde_path_to_error::deserialize(de);
        match r {
            Ok(a) => println!("OK {a:?}"),
            Err(e) => println!(
                "path={} msg={:?} span={:?}",
                e.path(),
                e.inner().message(),
                e.inner().span()
            ),
        }
    }
    #[test]
    fn proto() {
        go("[rpc]\nlisen = 1\n");
        go("[rpc]\nlisten = \"x\"\n");
        go("[rpc]\n");
        go("");
        go("[rpc]\nlisten=1\n[alloc.\"0xzz\"]\nlisten=1\n");
        go("[rpc]\nlisten=1\n[alloc.\"0x0000000000000000000000000000000000000001\"]\nlisen=1\n");
        go("[rpc]\nlisten=1\n[foo]\nx=1\n");
        go("[rpc]\nlisten=-1\n");
        go("[rpc]\nlisten=1.5\n");
    }
}
