//! The status page in a real browser: headless Chromium opens it against a settling node with
//! its exec prover, and the DOM shows what happens on the chain as it happens — new blocks
//! appear, a withdrawal shows as waiting and then claimable, a batch goes to verified with its
//! commit transaction and prover, the deposit is counted, the chart draws. The screenshot is
//! written next to the node's log; with `KEEL_STATUS_SCREENSHOT=<path>` it is also copied
//! there (how `docs/status-page.png` is made).

use std::time::Duration;

use alloy::{
    primitives::{Address, utils::parse_ether},
    signers::local::PrivateKeySigner,
};
use eyre::{WrapErr, ensure};
use keel_e2e::{
    Anvil, AnvilOptions, DEV_PRIVATE_KEYS, KeelBinary, KeelNode,
    browser::Browser,
    free_loopback_addr,
    settlement::{deploy, deposit_eth, eventually, exec_prover, l1_wallet, settling_node},
};
use keel_l1::L2Bridge;
use keel_primitives::L2_BRIDGE_ADDRESS;

/// Where the screenshot is copied when set.
const SCREENSHOT_ENV: &str = "KEEL_STATUS_SCREENSHOT";
const TIMEOUT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread")]
async fn the_status_page_shows_blocks_batches_and_withdrawals_live_in_chromium() -> eyre::Result<()>
{
    let dir = tempfile::tempdir()?;
    let datadir = dir.path().join("node");
    let anvil = Anvil::spawn(AnvilOptions::default(), dir.path().join("anvil.log")).await?;
    let keel = KeelBinary::locate()?;
    let deployment = deploy(&keel, &anvil, &datadir, &[])?;
    let coordinator = free_loopback_addr()?;
    let status = free_loopback_addr()?;
    let node = KeelNode::spawn(
        settling_node(&anvil, &datadir, coordinator, "3s")
            .env("KEEL_STATUS__LISTEN", status.to_string()),
    )
    .await?;
    let prover = exec_prover(&keel, dir.path(), coordinator)?;
    let result = async {
        let mut browser = Browser::launch(1440, 1100, &dir.path().join("chromium.log"))
            .await
            .wrap_err("is Chromium installed? e2e/setup.sh installs it")?;
        browser.navigate(&format!("http://{status}/")).await?;
        browser
            .wait_until("the page has data", "document.body.dataset.ready === 'true'", TIMEOUT)
            .await?;
        let first_head = browser
            .eval("Number(document.getElementById('head-number').textContent)")
            .await?
            .as_u64()
            .unwrap_or_default();

        // A new block appears, without reloading.
        let row = format!("document.querySelector('#blocks tr[data-number=\"{}\"]') !== null", first_head + 2);
        browser.wait_until("a new block row", &row, TIMEOUT).await?;

        // A deposit, then a withdrawal of part of it.
        let alice = PrivateKeySigner::random();
        deposit_eth(
            &l1_wallet(&anvil, DEV_PRIVATE_KEYS[0])?,
            &deployment,
            alice.address(),
            parse_ether("1")?,
        )
        .await?;
        let alice_l2 = node.wallet_provider(alice.clone());
        eventually("the deposit to be credited", TIMEOUT, || async {
            use alloy::providers::Provider;
            Ok((alice_l2.get_balance(alice.address()).await? > alloy::primitives::U256::ZERO)
                .then_some(()))
        })
        .await?;
        let receipt = L2Bridge::new(L2_BRIDGE_ADDRESS, &alice_l2)
            .withdraw(Address::with_last_byte(0x5e))
            .value(parse_ether("0.4")?)
            .send()
            .await?
            .get_receipt()
            .await?;
        ensure!(receipt.status(), "withdraw reverted");
        let tx = receipt.transaction_hash.to_string();
        let deposits = browser
            .wait_until(
                "the deposit counted",
                "/^[1-9]\\d* recorded from L1 · [1-9]\\d* credited/.test(document.getElementById('deposit-counts').textContent) && document.getElementById('deposit-counts').textContent",
                TIMEOUT,
            )
            .await?;

        // The withdrawal is listed, then becomes claimable once its batch is verified.
        let claimable = format!(
            "Array.from(document.querySelectorAll('#withdrawals tr')).some(r => r.textContent.includes('{}') && r.textContent.includes('claimable'))",
            &tx[..10]
        );
        browser.wait_until("the withdrawal claimable", &claimable, TIMEOUT).await?;
        let verified = browser
            .wait_until(
                "a verified batch with its commit transaction and prover",
                "(() => { const r = document.querySelector('#batches tr[data-state=\"verified\"]'); \
                 return r && r.textContent.includes('0x') && r.textContent.includes('exec proof') && r.textContent; })()",
                TIMEOUT,
            )
            .await?;
        browser
            .wait_until(
                "the settlement card shows the verified batch",
                "Number(document.getElementById('verified-batch')?.textContent) >= 1",
                TIMEOUT,
            )
            .await?;
        browser
            .wait_until(
                "the throughput chart drawn",
                "document.querySelectorAll('#chart polyline').length === 2",
                TIMEOUT,
            )
            .await?;
        let plugins = browser
            .eval("document.getElementById('plugins').textContent")
            .await?;
        let slots = browser
            .eval("document.querySelectorAll('#plugins tr[data-active]').length")
            .await?;
        ensure!(
            slots == 3 && plugins.as_str().is_some_and(|p| p.contains("ordering") && p.contains("native")),
            "the plugins card shows {slots} active slots: {plugins}"
        );

        let shot = dir.path().join("status-page.png");
        browser.screenshot(&shot).await?;
        let png = std::fs::read(&shot)?;
        ensure!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000,
            "the screenshot is not a page-sized PNG ({} bytes)",
            png.len()
        );
        if let Some(copy) = std::env::var_os(SCREENSHOT_ENV).filter(|p| !p.is_empty()) {
            std::fs::copy(&shot, &copy)?;
        }
        eprintln!("status page: deposits {deposits}; verified batch row {verified}");
        Ok(())
    }
    .await;
    let result = result.wrap_err_with(|| format!("prover log:\n{}", prover.log()));
    node.finish(result)
}
