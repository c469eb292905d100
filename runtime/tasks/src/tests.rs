use std::time::Duration;

use crate::{TaskError, TaskExit, TaskManager};

fn exited(error: TaskError) -> (&'static str, TaskExit) {
    match error {
        TaskError::CriticalTaskExited { name, exit } => (name, exit),
        other => panic!("expected a critical exit, got {other}"),
    }
}

#[tokio::test]
async fn a_panicking_task_is_named() {
    let mut manager = TaskManager::new();
    let executor = manager.executor();
    executor.spawn_critical("steady", |shutdown| async move {
        shutdown.signalled().await;
        Ok::<_, String>(())
    });
    executor.spawn_critical("fragile", |_| async move {
        tokio::task::yield_now().await;
        panic!("boom");
        #[allow(unreachable_code, reason = "the closure's type needs a result")]
        Ok::<_, String>(())
    });
    let (name, exit) = exited(manager.critical_exit().await);
    assert_eq!(name, "fragile");
    assert_eq!(exit, TaskExit::Panicked("boom".into()));
    assert_eq!(manager.running(), ["steady"]);
    manager
        .shutdown(Duration::from_secs(5))
        .await
        .expect("the steady task stops on the signal");
}

#[tokio::test]
async fn a_failing_or_returning_task_is_named() {
    let mut manager = TaskManager::new();
    let executor = manager.executor();
    executor.spawn_critical("settler", |_| async { Err::<(), _>("L1 refused") });
    let (name, exit) = exited(manager.critical_exit().await);
    assert_eq!(
        (name, exit),
        ("settler", TaskExit::Failed("L1 refused".into()))
    );

    executor.spawn_critical("watcher", |_| async { Ok::<_, String>(()) });
    let (name, exit) = exited(manager.critical_exit().await);
    assert_eq!((name, exit), ("watcher", TaskExit::Returned));
    manager
        .shutdown(Duration::from_secs(1))
        .await
        .expect("nothing runs");
}

#[tokio::test]
async fn a_thread_is_supervised_like_a_task() {
    let mut manager = TaskManager::new();
    let executor = manager.executor();
    executor
        .spawn_critical_thread("proposer", |shutdown| {
            let mut rounds = 0u32;
            while !shutdown.wait(Duration::from_millis(5)) {
                rounds += 1;
                if rounds == 3 {
                    panic!("block production broke");
                }
            }
            Ok::<_, String>(())
        })
        .expect("a thread starts");
    let (name, exit) = exited(manager.critical_exit().await);
    assert_eq!(name, "proposer");
    assert_eq!(exit, TaskExit::Panicked("block production broke".into()));
}

#[tokio::test]
async fn shutdown_reaches_threads_and_tasks() {
    let manager = TaskManager::new();
    let executor = manager.executor();
    let (seen, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let thread_seen = seen.clone();
    executor
        .spawn_critical_thread("proposer", move |shutdown| {
            while !shutdown.wait(Duration::from_secs(60)) {}
            thread_seen.send("proposer").expect("the test listens");
            Ok::<_, String>(())
        })
        .expect("a thread starts");
    executor.spawn_critical("rpc", move |shutdown| async move {
        shutdown.signalled().await;
        seen.send("rpc").expect("the test listens");
        Ok::<_, String>(())
    });
    let started = std::time::Instant::now();
    manager
        .shutdown(Duration::from_secs(5))
        .await
        .expect("both stop");
    assert!(started.elapsed() < Duration::from_secs(5));
    let mut stopped = vec![
        seen_rx.recv().await.expect("one"),
        seen_rx.recv().await.expect("two"),
    ];
    stopped.sort_unstable();
    assert_eq!(stopped, ["proposer", "rpc"]);
}

#[tokio::test]
async fn shutdown_names_what_overruns_its_bound() {
    let manager = TaskManager::new();
    let executor = manager.executor();
    executor.spawn_critical("stubborn", |_| async {
        std::future::pending::<()>().await;
        Ok::<_, String>(())
    });
    executor.spawn_critical("polite", |shutdown| async move {
        shutdown.signalled().await;
        Ok::<_, String>(())
    });
    executor.spawn("connection", std::future::pending());
    match manager.shutdown(Duration::from_millis(50)).await {
        Err(TaskError::ShutdownTimedOut { still_running, .. }) => {
            assert_eq!(still_running, ["stubborn", "1 other task(s)"]);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn an_error_after_the_signal_is_not_a_critical_exit() {
    let mut manager = TaskManager::new();
    let executor = manager.executor();
    executor.spawn_critical("l1", |shutdown| async move {
        shutdown.signalled().await;
        Err::<(), _>("cancelled mid-request")
    });
    let shutdown = executor.shutdown();
    shutdown.signal();
    // Nothing arrives: the task ended after the signal.
    let waited = tokio::time::timeout(Duration::from_millis(100), manager.critical_exit()).await;
    assert!(
        waited.is_err(),
        "an exit after shutdown must not be reported"
    );
    manager
        .shutdown(Duration::from_secs(1))
        .await
        .expect("stopped");
}

#[tokio::test]
async fn a_task_panic_that_is_not_critical_is_contained() {
    let mut manager = TaskManager::new();
    let executor = manager.executor();
    executor.spawn("connection", async { panic!("bad request") });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let waited = tokio::time::timeout(Duration::from_millis(50), manager.critical_exit()).await;
    assert!(
        waited.is_err(),
        "a non-critical panic must not stop the node"
    );
    manager
        .shutdown(Duration::from_secs(1))
        .await
        .expect("stopped");
}
