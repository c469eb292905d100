// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BridgedERC20
/// @notice The canonical L2 token of one L1 ERC-20: created by the `L2Bridge` predeploy on the
///         token's first deposit, at an address that depends only on the L1 token
///         (`L2Bridge.l2TokenOf`). Only the bridge mints (deposits) and burns (withdrawals), so
///         its supply is what the L1 `CommonBridge` escrows for it.
/// @dev OpenZeppelin's ERC20. Name, symbol and decimals are the L1 token's, set once by the
///      bridge right after creation (the constructor takes none, so that the address does not
///      depend on them).
contract BridgedERC20 is ERC20 {
    /// @notice The L2 bridge predeploy: the only minter and burner.
    address public immutable bridge;
    /// @notice The L1 token this one stands for (zero until initialized).
    address public l1Token;

    string private _tokenName;
    string private _tokenSymbol;
    uint8 private _tokenDecimals;

    /// @notice Caller is not the L2 bridge.
    error NotBridge(address caller);
    /// @notice The token was initialized already.
    error AlreadyInitialized();

    constructor() ERC20("", "") {
        bridge = msg.sender;
    }

    modifier onlyBridge() {
        if (msg.sender != bridge) revert NotBridge(msg.sender);
        _;
    }

    /// @notice Sets the L1 token and its metadata, once. Only the bridge.
    function initialize(address l1Token_, string calldata name_, string calldata symbol_, uint8 decimals_)
        external
        onlyBridge
    {
        if (l1Token != address(0)) revert AlreadyInitialized();
        l1Token = l1Token_;
        _tokenName = name_;
        _tokenSymbol = symbol_;
        _tokenDecimals = decimals_;
    }

    /// @notice Mints `amount` to `to` (a deposit). Only the bridge.
    function mint(address to, uint256 amount) external onlyBridge {
        _mint(to, amount);
    }

    /// @notice Burns `amount` of `from`'s tokens (a withdrawal). Only the bridge.
    function burn(address from, uint256 amount) external onlyBridge {
        _burn(from, amount);
    }

    /// @inheritdoc ERC20
    function name() public view override returns (string memory) {
        return _tokenName;
    }

    /// @inheritdoc ERC20
    function symbol() public view override returns (string memory) {
        return _tokenSymbol;
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _tokenDecimals;
    }
}
